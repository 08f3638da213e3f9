"""The detail pane's content as Qt rich text: one pure function per record kind, so it is testable.

Links use the `crmdesk:` scheme (`crmdesk:person/<id>`, `crmdesk:company/<id>`, `crmdesk:touchpoint/<id>`)
and `mailto:` / `tel:`; the pane turns a click on a crmdesk link into navigation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from html import escape

from crmdesk import paths
from crmdesk.domain.normalize import format_phone
from crmdesk.domain.records import (
    Address,
    BusinessCardRecord,
    Email,
    Entity,
    Phone,
    TouchpointRecord,
)
from crmdesk.store.details import CompanyDetail, PersonDetail, TouchpointDetail
from crmdesk.store.relations import RelatedEntry
from crmdesk.ui import labels

MUTED = "#6b7280"
ACCENT = "#2f6fde"
CARD_BG = "#f6f8fb"
BORDER = "#dde3ea"

_KIND_LABELS = {"work": "work", "home": "home", "mobile": "mobile", "fax": "fax", "other": "other", "postal": "postal"}


def link(entity: Entity, record_id: str, text: str) -> str:
    href = f"crmdesk:{entity.value}/{escape(record_id)}"
    return f'<a href="{href}" style="color:{ACCENT}; text-decoration:none">{escape(text)}</a>'


def parse_link(url: str) -> tuple[Entity, str] | None:
    """(entity, id) of a `crmdesk:` link, or None for other links."""
    if not url.startswith("crmdesk:"):
        return None
    kind, _, record_id = url[len("crmdesk:") :].partition("/")
    try:
        return Entity(kind), record_id
    except ValueError:
        return None


def _icon(name: str, size: int = 16) -> str:
    path = paths.resources_dir() / "icons" / f"{name}.svg"
    return f'<img src="{path.as_uri()}" width="{size}" height="{size}" style="vertical-align:middle">'


def _h(title: str) -> str:
    return (
        f'<p style="margin-top:18px; margin-bottom:6px; font-size:9pt; font-weight:600; color:{MUTED}; '
        f'letter-spacing:1px">{escape(title.upper())}</p>'
    )


def _muted(text: str) -> str:
    return f'<span style="color:{MUTED}">{escape(text)}</span>'


def _tags(tags: Sequence[str]) -> str:
    if not tags:
        return ""
    chips = "&nbsp; ".join(
        f'<span style="background-color:#e8effc; color:#1d4ed8">&nbsp;{escape(t)}&nbsp;</span>' for t in tags
    )
    return f'<p style="margin-top:6px">{chips}</p>'


def _star(favourite: bool) -> str:
    return ' <span style="color:#e0a526" title="Favourite">★</span>' if favourite else ""


def _email_rows(emails: Iterable[Email]) -> list[str]:
    return [
        f'<tr><td style="color:{MUTED}; padding-right:10px">{_KIND_LABELS.get(e.type.value, e.type.value)}</td>'
        f'<td><a href="mailto:{escape(e.address)}" style="color:{ACCENT}; text-decoration:none">{escape(e.address)}</a>'
        f"{_star(e.favourite)}</td></tr>"
        for e in emails
    ]


def _phone_rows(phones: Iterable[Phone], region: str) -> list[str]:
    return [
        f'<tr><td style="color:{MUTED}; padding-right:10px">{_KIND_LABELS.get(p.type.value, p.type.value)}</td>'
        f'<td><a href="tel:{escape(p.number)}" style="color:{ACCENT}; text-decoration:none">'
        f"{escape(format_phone(p.number, region=region))}</a>{_star(p.favourite)}</td></tr>"
        for p in phones
    ]


def _address_rows(addresses: Iterable[Address]) -> list[str]:
    rows = []
    for a in addresses:
        lines = [
            a.street,
            " ".join(x for x in (a.postcode, a.city) if x),
            " ".join(x for x in (a.region, a.country) if x),
        ]
        text = "<br>".join(escape(x) for x in lines if x)
        rows.append(
            f'<tr><td style="color:{MUTED}; padding-right:10px" valign="top">'
            f"{_KIND_LABELS.get(a.type.value, a.type.value)}</td><td>{text}{_star(a.favourite)}</td></tr>"
        )
    return rows


def _contact_table(rows: list[str]) -> str:
    if not rows:
        return ""
    return '<table cellspacing="0" cellpadding="2" style="margin-top:4px">' + "".join(rows) + "</table>"


def _card(card: BusinessCardRecord, region: str) -> str:
    if card.private:
        title = "Private"
    elif card.company_id:
        title = f"<b>{link(Entity.COMPANY, card.company_id, card.company_name)}</b>"
    else:
        title = f"<b>{escape(card.company_name) or 'Business card'}</b>"
    role = " · ".join(escape(x) for x in (card.position, card.department) if x)
    head = f"{title}{_star(card.favourite)}" + (f"<br>{_muted(role)}" if role else "")
    rows = _email_rows(card.emails) + _phone_rows(card.phones, region) + _address_rows(card.addresses)
    body = _contact_table(rows) or _muted("No contact details")
    return (
        f'<table width="100%" cellspacing="0" cellpadding="10" style="margin-bottom:8px; '
        f'background-color:{CARD_BG}; border:1px solid {BORDER}">'
        f"<tr><td>{head}<br>{body}</td></tr></table>"
    )


def _when(value: dt.datetime) -> str:
    local = value.astimezone()
    return f"{local.day} {local.strftime('%b %Y, %H:%M')}"


def _timeline(tps: Sequence[TouchpointRecord], names: dict[str, str], *, skip: str = "") -> str:
    if not tps:
        return _muted("No touchpoints yet.")
    out = ['<table width="100%" cellspacing="0" cellpadding="4">']
    for t in tps:
        who = [link(Entity.PERSON, p, names[p]) for p in t.person_ids if p in names and p != skip]
        if t.company_id and t.company_id in names and t.company_id != skip:
            who.append(link(Entity.COMPANY, t.company_id, names[t.company_id]))
        meta = f"{_when(t.occurred_at)} · {labels.TOUCHPOINT_TYPES.get(t.type, t.type.value)}"
        if t.amount:
            meta += f" · {escape(t.amount)} {escape(t.currency)}"
        body = escape(t.body[:240] + ("…" if len(t.body) > 240 else "")).replace("\n", "<br>")
        out.append(
            f'<tr><td width="24" valign="top">{_icon(t.type.value)}</td><td valign="top">'
            f"{link(Entity.TOUCHPOINT, t.id, t.subject or '(no subject)')}"
            f'<br><span style="color:{MUTED}; font-size:9pt">{meta}</span>'
            + (f'<br><span style="font-size:9pt">{" · ".join(who)}</span>' if who else "")
            + (f'<br><span style="color:#374151; font-size:9pt">{body}</span>' if body else "")
            + "</td></tr>"
        )
    out.append("</table>")
    return "".join(out)


def _notes(text: str) -> list[str]:
    return [_h("Notes"), f"<p>{escape(text).replace(chr(10), '<br>')}</p>"] if text else []


def _relations(title: str, entity: Entity, relations: Sequence[RelatedEntry]) -> list[str]:
    if not relations:
        return []
    lines = "<br>".join(f"{link(entity, r.other_id, r.other_name)} {_muted(r.category)}" for r in relations)
    return [_h(title), f"<p>{lines}</p>"]


def person_html(d: PersonDetail, *, region: str) -> str:
    p = d.person
    fav = p.favourite_card
    subtitle = ""
    if fav is not None and not fav.private:
        company = link(Entity.COMPANY, fav.company_id, fav.company_name) if fav.company_id else escape(fav.company_name)
        subtitle = " at ".join(x for x in (escape(fav.position), company) if x)
    parts = [
        f'<p style="margin:0; font-size:17pt; font-weight:600">{escape(p.display_name)}</p>',
        f'<p style="margin-top:2px; color:{MUTED}">{subtitle}</p>' if subtitle else "",
        _tags(p.tags),
    ]
    facts = []
    if p.birthday:
        b = p.birthday
        when = dt.date(b.year or 2000, b.month, b.day).strftime("%d %B") + (f" {b.year}" if b.year else "")
        facts.append(f"{_icon('birthday', 14)} {escape(when)}")
    if p.lifecycle:
        facts.append(_muted(p.lifecycle.capitalize()))
    if facts:
        parts.append(f'<p style="margin-top:8px">{" &nbsp;·&nbsp; ".join(facts)}</p>')
    parts.append(_h(f"Business cards ({len(p.cards)})" if p.cards else "Business cards"))
    parts.append("".join(_card(c, region) for c in p.cards) or _muted("No business cards."))
    parts += _notes(p.notes) + _relations("Relations", Entity.PERSON, d.relations)
    parts += [_h("Timeline"), _timeline(d.touchpoints, d.names, skip=p.id)]
    return "".join(parts)


def company_html(d: CompanyDetail, *, region: str) -> str:
    c = d.company
    sub = " · ".join(escape(x) for x in (c.industry, c.legal_form) if x)
    parts = [
        f'<p style="margin:0; font-size:17pt; font-weight:600">{escape(c.name)}</p>',
        f'<p style="margin-top:2px; color:{MUTED}">{sub}</p>' if sub else "",
        _tags(c.tags),
    ]
    if c.website:
        url = c.website if "://" in c.website else f"https://{c.website}"
        parts.append(
            f'<p>{_icon("web", 14)} <a href="{escape(url)}" style="color:{ACCENT}; text-decoration:none">'
            f"{escape(c.website)}</a></p>"
        )
    rows = _email_rows(c.emails) + _phone_rows(c.phones, region) + _address_rows(c.addresses)
    if rows:
        parts += [_h("Contact"), _contact_table(rows)]
    parts.append(_h(f"People ({len(d.staff)})"))
    if d.staff:
        parts.append(
            '<table cellspacing="0" cellpadding="2">'
            + "".join(
                f"<tr><td style='padding-right:12px'>{link(Entity.PERSON, e.person_id, e.name)}</td>"
                f"<td>{_muted(' · '.join(x for x in (e.position, e.department) if x))}</td></tr>"
                for e in d.staff
            )
            + "</table>"
        )
    else:
        parts.append(_muted("Nobody has a business card at this company yet."))
    parts += _notes(c.notes) + _relations("Related companies", Entity.COMPANY, d.relations)
    parts += [_h("Timeline"), _timeline(d.touchpoints, d.names, skip=c.id)]
    return "".join(parts)


def touchpoint_html(d: TouchpointDetail, *, region: str) -> str:
    t = d.touchpoint
    meta = [_when(t.occurred_at), labels.TOUCHPOINT_TYPES.get(t.type, t.type.value)]
    if t.direction.value:
        meta.append(t.direction.value)
    if t.priority.value != "normal":
        meta.append(f"{t.priority.value} priority")
    if t.mood.value:
        meta.append(t.mood.value)
    parts = [
        f'<p style="margin:0; font-size:15pt; font-weight:600">{_icon(t.type.value, 20)} '
        f"{escape(t.subject or '(no subject)')}</p>",
        f'<p style="margin-top:4px; color:{MUTED}">{escape(" · ".join(meta))}</p>',
        _tags(t.tags),
    ]
    if t.amount:
        parts.append(f'<p style="font-size:13pt">{escape(t.amount)} {escape(t.currency)}</p>')
    if t.body:
        parts.append(f"<p>{escape(t.body).replace(chr(10), '<br>')}</p>")
    who = [link(Entity.PERSON, p, d.names[p]) for p in t.person_ids if p in d.names]
    if who:
        parts += [_h("People"), "<p>" + "<br>".join(who) + "</p>"]
    if t.company_id and t.company_id in d.names:
        parts += [_h("Company"), f"<p>{link(Entity.COMPANY, t.company_id, d.names[t.company_id])}</p>"]
    return "".join(parts)
