"""Tests for crmdesk.ui.dialogs: person, company and touchpoint editors and the delete question, driven like a user.

Dialogs are built directly (not exec'd), filled through their real widgets and closed through `accept()`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCompleter,
    QDialog,
    QLineEdit,
    QMessageBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

from crmdesk.context import Context
from crmdesk.domain.records import (
    Address,
    AddressType,
    Birthday,
    BusinessCardRecord,
    CompanyRecord,
    Email,
    EmailType,
    PersonRecord,
    Phone,
    PhoneType,
    TouchpointRecord,
    TouchpointType,
)
from crmdesk.store import companies, people
from crmdesk.ui.dialogs import confirm
from crmdesk.ui.dialogs.company import CompanyDialog
from crmdesk.ui.dialogs.contacts import ContactKind, ContactListEditor
from crmdesk.ui.dialogs.person import NAME_MISSING, PersonDialog
from crmdesk.ui.dialogs.touchpoint import TouchpointDialog
from crmdesk.ui.workers import JobRunner

pytestmark = pytest.mark.gui


@pytest.fixture
def runner(qtbot: QtBot, ctx: Context) -> Iterator[JobRunner]:
    """A JobRunner whose jobs have all finished before the store closes."""
    r = JobRunner()
    yield r
    qtbot.waitUntil(lambda: r.running() == 0, timeout=5000)
    assert r.shutdown()


def _company(ctx: Context, name: str) -> CompanyRecord:
    with ctx.store.write() as s:
        return companies.create(s, CompanyRecord(name=name))[0]


def _person(ctx: Context, first: str, last: str, **fields: object) -> PersonRecord:
    with ctx.store.write() as s:
        return people.create(s, PersonRecord(first_name=first, last_name=last).replace(**fields))[0]


def _show(qtbot: QtBot, dialog: QDialog) -> None:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)  # a click then gives the focus that completion needs


def _clear(edit: QLineEdit | None) -> None:
    """Select everything and delete it with the keyboard, as a user would."""
    assert edit is not None
    QTest.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(edit, Qt.Key.Key_Backspace)


def _type(edit: QWidget | None, text: str) -> None:
    assert edit is not None
    QTest.keyClicks(edit, text)


def _click(widget: QWidget, button: Qt.MouseButton = Qt.MouseButton.LeftButton) -> None:
    QTest.mouseClick(widget, button)


def _popup(completer: QCompleter | None) -> QAbstractItemView:
    assert completer is not None
    popup = completer.popup()
    assert popup is not None
    return popup


# ---------------------------------------------------------------------------------------------------------------------
# Person


def test_save_is_disabled_until_the_person_has_a_name(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    dialog = PersonDialog(ctx, runner)
    _show(qtbot, dialog)
    assert dialog.windowTitle() == "New person"
    assert not dialog.save_button.isEnabled()
    assert not dialog.name_message.isVisible()  # no scolding before the user has typed anything

    _type(dialog.first_name_edit, "Ines")
    assert dialog.save_button.isEnabled()

    _clear(dialog.first_name_edit)
    assert not dialog.save_button.isEnabled()
    assert dialog.name_message.isVisible()
    assert dialog.name_message.text() == NAME_MISSING

    _type(dialog.last_name_edit, "Brandt")
    assert dialog.save_button.isEnabled()
    assert not dialog.name_message.isVisible()
    assert dialog.header.title.text() == "Brandt"


def test_a_bad_email_disables_save_and_says_why_next_to_the_field(
    qtbot: QtBot, ctx: Context, runner: JobRunner
) -> None:
    dialog = PersonDialog(ctx, runner)
    _show(qtbot, dialog)
    _type(dialog.first_name_edit, "Ines")
    row = dialog.card_editors()[0].emails.rows()[0]

    _type(row.value_edit, "ines.brandt@brandt")
    assert not dialog.save_button.isEnabled()
    assert row.message.isVisible()
    assert "top-level domain" in row.message.text()
    assert "top-level domain" in dialog.save_button.toolTip()

    _type(row.value_edit, "-mb.de")
    assert dialog.save_button.isEnabled()
    assert not row.message.isVisible()


def test_an_unparseable_phone_disables_save(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    dialog = PersonDialog(ctx, runner)
    _show(qtbot, dialog)
    _type(dialog.last_name_edit, "Brandt")
    row = dialog.card_editors()[0].phones.rows()[0]

    _type(row.value_edit, "12")
    assert not dialog.save_button.isEnabled()
    assert row.message.isVisible()
    assert "too short" in row.message.text()

    _clear(row.value_edit)
    _type(row.value_edit, "07531 1234567")
    assert dialog.save_button.isEnabled()
    assert not row.message.isVisible()


def test_a_person_with_two_business_cards_comes_back_as_one_record(
    qtbot: QtBot, ctx: Context, runner: JobRunner
) -> None:
    brandt = _company(ctx, "Brandt Maschinenbau GmbH")
    dialog = PersonDialog(ctx, runner)
    _show(qtbot, dialog)
    _type(dialog.salutation_combo.lineEdit(), "Ms")
    _type(dialog.title_edit, "Dr.")
    _type(dialog.first_name_edit, "Ines")
    _type(dialog.last_name_edit, "Brandt")
    dialog.birthday_edit.day_spin.setValue(12)
    dialog.birthday_edit.month_combo.setCurrentIndex(4)
    _type(dialog.birthday_edit.year_edit, "1978")
    _type(dialog.tags_edit, "VIP, newsletter")
    _type(dialog.notes_edit, "Met at Hannover Messe.")

    work = dialog.card_editors()[0]
    assert work.favourite  # a person's first card is the favourite
    _type(work.company_field, "Brandt Maschinenbau GmbH")
    qtbot.waitUntil(lambda: work.company_field.company_id() == brandt.id)
    assert dialog.card_tabs.tabText(0) == "Brandt Maschinenbau GmbH"
    _type(work.position_edit, "Managing director")
    _type(work.department_edit, "Management")
    _type(work.emails.rows()[0].value_edit, "Ines.Brandt@Brandt-MB.de")
    _click(work.emails.add_button)
    other = work.emails.rows()[1]
    other.type_combo.setCurrentIndex(other.type_combo.findData(EmailType.OTHER))
    _type(other.value_edit, "info@brandt-mb.de")
    _type(work.phones.rows()[0].value_edit, "07531 1234567")
    _click(work.addresses.add_button)
    address = work.addresses.rows()[0]
    assert address.street_edit and address.postcode_edit and address.city_edit and address.country_edit
    _type(address.street_edit, "Reichenaustraße 21")
    _type(address.postcode_edit, "78467")
    _type(address.city_edit, "Konstanz")
    _type(address.country_edit, "de")

    _click(dialog.add_card_button)
    assert dialog.card_tabs.count() == 2
    assert dialog.card_tabs.currentIndex() == 1
    home = dialog.card_editors()[1]
    assert not home.favourite
    _click(home.private_check)
    assert not home.company_field.isEnabled()
    assert dialog.card_tabs.tabText(1) == "Private"
    home.emails.rows()[0].type_combo.setCurrentIndex(home.emails.rows()[0].type_combo.findData(EmailType.HOME))
    _type(home.emails.rows()[0].value_edit, "ines@example.org")
    mobile = home.phones.rows()[0]
    mobile.type_combo.setCurrentIndex(mobile.type_combo.findData(PhoneType.MOBILE))
    _type(mobile.value_edit, "0175 1234567")
    _click(mobile.favourite_button)

    assert dialog.save_button.isEnabled()
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    person = dialog.result_record()
    assert person is not None
    assert (person.salutation, person.title, person.first_name, person.last_name) == ("Ms", "Dr.", "Ines", "Brandt")
    assert person.birthday == Birthday(month=4, day=12, year=1978)
    assert person.tags == ("newsletter", "VIP")
    assert person.notes == "Met at Hannover Messe."
    assert len(person.cards) == 2
    first, second = person.cards
    assert first.id == work.card_id and first.favourite
    assert (first.company_id, first.company_name) == (brandt.id, "Brandt Maschinenbau GmbH")
    assert (first.position, first.department, first.private) == ("Managing director", "Management", False)
    assert first.emails == (
        Email("Ines.Brandt@brandt-mb.de", EmailType.WORK),
        Email("info@brandt-mb.de", EmailType.OTHER),
    )
    assert first.phones == (Phone("+4975311234567", PhoneType.WORK),)
    assert first.addresses == (
        Address(street="Reichenaustraße 21", postcode="78467", city="Konstanz", country="DE", type=AddressType.WORK),
    )
    assert second.id == home.card_id and not second.favourite
    assert second.private and second.company_id is None and second.company_name == ""
    assert second.emails == (Email("ines@example.org", EmailType.HOME),)
    assert second.phones == (Phone("+491751234567", PhoneType.MOBILE, favourite=True),)

    with ctx.store.write() as s:  # the store takes the record as it is
        stored, _ = people.create(s, person)
    assert stored.cards == person.cards


def test_the_company_field_suggests_companies_as_you_type(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    _company(ctx, "Brandt Maschinenbau GmbH")
    soehne = _company(ctx, "Brandt & Söhne KG")
    _company(ctx, "Bodensee Logistik AG")
    dialog = PersonDialog(ctx, runner)
    _show(qtbot, dialog)
    _type(dialog.last_name_edit, "Brandt")
    field = dialog.card_editors()[0].company_field
    _click(field)
    assert field.hasFocus()
    _type(field, "bra")
    qtbot.waitUntil(lambda: field.suggestions() == ["Brandt & Söhne KG", "Brandt Maschinenbau GmbH"])
    popup = _popup(field.completer())
    qtbot.waitUntil(popup.isVisible)
    popup.setCurrentIndex(popup.model().index(0, 0))
    QTest.keyClick(popup, Qt.Key.Key_Return)
    assert field.text() == "Brandt & Söhne KG"
    assert field.company_id() == soehne.id
    assert dialog.card_tabs.tabText(0) == "Brandt && Söhne KG"  # "&" escaped, not a mnemonic

    _clear(field)
    _type(field, "Brandt Robotics")  # a new name: the store will create the company
    qtbot.waitUntil(lambda: field.suggestions() == [])
    assert field.company_id() is None
    dialog.accept()
    person = dialog.result_record()
    assert person is not None
    assert (person.cards[0].company_id, person.cards[0].company_name) == (None, "Brandt Robotics")


def test_editing_keeps_the_ids_and_what_the_dialog_does_not_show(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    card = BusinessCardRecord(company_name="Hochschule Konstanz", emails=(Email("i.brandt@htwg.de"),))
    original = PersonRecord(
        first_name="Ines", last_name="Brandt", custom=(("X-SKYPE", "ines.b"),), photo=b"\x89PNG", cards=(card,)
    )
    dialog = PersonDialog(ctx, runner, original)
    _show(qtbot, dialog)
    assert dialog.windowTitle() == "Edit — Ines Brandt"
    assert dialog.save_button.isEnabled()
    _clear(dialog.last_name_edit)
    _type(dialog.last_name_edit, "Brandt-Meyer")
    dialog.accept()

    edited = dialog.result_record()
    assert edited is not None
    assert edited.id == original.id
    assert edited.last_name == "Brandt-Meyer"
    assert [c.id for c in edited.cards] == [card.id]
    assert edited.cards[0].emails == card.emails
    assert edited.custom == original.custom and edited.photo == original.photo


def test_only_one_card_is_the_favourite(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    dialog = PersonDialog(ctx, runner)
    _show(qtbot, dialog)
    for _ in range(2):
        _click(dialog.add_card_button)
    cards = dialog.card_editors()
    assert [c.favourite for c in cards] == [True, False, False]

    _click(cards[2].favourite_button)
    assert [c.favourite for c in cards] == [False, False, True]
    assert [dialog.card_tabs.tabToolTip(i) for i in range(3)] == ["", "", "Favourite card"]

    # The favourite moves only by making another card the favourite.
    _click(cards[2].favourite_button)
    assert [c.favourite for c in cards] == [False, False, True]

    # Removing the favourite with two cards left chooses none; with one left, that one becomes it.
    dialog.card_tabs.setCurrentIndex(2)
    _click(dialog.remove_card_button)
    assert [c.favourite for c in dialog.card_editors()] == [False, False]
    _click(dialog.card_editors()[1].favourite_button)
    dialog.card_tabs.setCurrentIndex(1)
    _click(dialog.remove_card_button)
    assert [c.favourite for c in dialog.card_editors()] == [True]
    assert dialog.card_tabs.tabToolTip(0) == "Favourite card"

    # Removing the last card leaves a fresh, empty one to type into (an empty card is not stored).
    last = dialog.card_editors()[0]
    _click(dialog.remove_card_button)
    assert len(dialog.card_editors()) == 1
    assert dialog.card_editors()[0] is not last
    assert dialog.card_editors()[0].favourite


def test_only_one_email_is_the_favourite(qtbot: QtBot) -> None:
    editor = ContactListEditor(ContactKind.EMAIL)
    qtbot.addWidget(editor)
    for address in ("a@example.com", "b@example.com", "c@example.com"):
        _click(editor.add_button)
        _type(editor.rows()[-1].value_edit, address)
    rows = editor.rows()
    _click(rows[0].favourite_button)
    _click(rows[2].favourite_button)
    assert [r.favourite for r in rows] == [False, False, True]
    assert [e.favourite for e in editor.values()] == [False, False, True]

    _click(rows[2].favourite_button)  # a list may have no favourite
    assert [r.favourite for r in rows] == [False, False, False]

    _click(rows[1].favourite_button)
    _click(rows[2].remove_button)
    _click(editor.rows()[1].remove_button)  # the favourite, one left: promoted
    assert [e.address for e in editor.values()] == ["a@example.com"]
    assert editor.values()[0].favourite


def test_a_birthday_needs_no_year(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    dialog = PersonDialog(ctx, runner)
    _show(qtbot, dialog)
    _type(dialog.first_name_edit, "Ines")
    birthday = dialog.birthday_edit
    birthday.day_spin.setValue(29)
    birthday.month_combo.setCurrentIndex(2)
    assert dialog.save_button.isEnabled()  # 29 February, year unknown: fine

    _type(birthday.year_edit, "2023")
    assert not dialog.save_button.isEnabled()
    assert dialog.birthday_message.isVisible()
    assert dialog.birthday_message.text() == "February has no day 29 in 2023"

    _clear(birthday.year_edit)
    assert dialog.save_button.isEnabled()
    dialog.accept()
    person = dialog.result_record()
    assert person is not None
    assert person.birthday == Birthday(month=2, day=29)
    assert person.birthday.iso() == "--02-29"


def test_tags_complete_from_the_store(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    _person(ctx, "Jonas", "Weber", tags=("Newsletter", "Trade fair"))
    dialog = PersonDialog(ctx, runner)
    _show(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.tags_edit.known_tags() == ["Newsletter", "Trade fair"])
    completer = dialog.tags_edit.completer()
    assert completer is not None
    _click(dialog.tags_edit)  # QLineEdit uses its completer while focused
    assert dialog.tags_edit.hasFocus()
    _type(dialog.tags_edit, "VIP, tra")
    popup = _popup(completer)
    assert popup.isVisible()
    assert completer.completionCount() == 1  # only the tag after the last comma is completed
    popup.setCurrentIndex(popup.model().index(0, 0))
    QTest.keyClick(popup, Qt.Key.Key_Return)
    assert dialog.tags_edit.text() == "VIP, Trade fair, "
    assert dialog.tags_edit.tags() == ("Trade fair", "VIP")


def test_ask_returns_none_when_cancelled(
    qtbot: QtBot, ctx: Context, runner: JobRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PersonDialog, "exec", lambda self: QDialog.DialogCode.Rejected)
    assert PersonDialog.ask(None, ctx, runner) is None


# ---------------------------------------------------------------------------------------------------------------------
# Company


def test_the_company_dialog_produces_a_company(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    dialog = CompanyDialog(ctx, runner)
    _show(qtbot, dialog)
    assert dialog.windowTitle() == "New company"
    assert not dialog.save_button.isEnabled()
    _type(dialog.name_edit, "Brandt Maschinenbau GmbH")
    assert dialog.save_button.isEnabled()
    _type(dialog.legal_form_combo.lineEdit(), "GmbH")
    _type(dialog.industry_edit, "Mechanical engineering")

    _type(dialog.website_edit, "mailto:info@brandt-mb.de")
    assert not dialog.save_button.isEnabled()
    assert dialog.website_message.isVisible()
    assert "not a web address" in dialog.website_message.text()
    _clear(dialog.website_edit)
    _type(dialog.website_edit, "brandt-mb.de")
    assert not dialog.website_message.isVisible()

    _type(dialog.tags_edit, "Key account")
    _type(dialog.emails.rows()[0].value_edit, "info@brandt-mb.de")
    _click(dialog.phones.add_button)
    _type(dialog.phones.rows()[0].value_edit, "07531 1234500")
    fax = dialog.phones.rows()[1]
    fax.type_combo.setCurrentIndex(fax.type_combo.findData(PhoneType.FAX))
    _type(fax.value_edit, "07531 1234599")
    _click(dialog.phones.rows()[0].favourite_button)
    address = dialog.addresses.rows()[0]
    assert address.street_edit and address.city_edit
    _type(address.street_edit, "Reichenaustraße 21")
    _type(address.city_edit, "Konstanz")
    _type(dialog.notes_edit, "Family business.")

    assert dialog.save_button.isEnabled()
    dialog.accept()
    company = dialog.result_record()
    assert company is not None
    assert company == CompanyRecord(
        id=company.id,
        name="Brandt Maschinenbau GmbH",
        legal_form="GmbH",
        industry="Mechanical engineering",
        website="brandt-mb.de",
        notes="Family business.",
        tags=("Key account",),
        emails=(Email("info@brandt-mb.de"),),
        phones=(Phone("+4975311234500", favourite=True), Phone("+4975311234599", PhoneType.FAX)),
        addresses=(Address(street="Reichenaustraße 21", city="Konstanz"),),
    )


def test_editing_a_company_keeps_its_id(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    original = _company(ctx, "Brandt Maschinenbau GmbH")
    dialog = CompanyDialog(ctx, runner, original)
    _show(qtbot, dialog)
    assert dialog.windowTitle() == "Edit — Brandt Maschinenbau GmbH"
    _clear(dialog.name_edit)
    assert not dialog.save_button.isEnabled()
    assert dialog.name_message.isVisible()
    assert dialog.name_message.text() == "A company needs a name"
    _type(dialog.name_edit, "Brandt Antriebstechnik GmbH")
    dialog.accept()
    edited = dialog.result_record()
    assert edited is not None
    assert (edited.id, edited.name) == (original.id, "Brandt Antriebstechnik GmbH")


# ---------------------------------------------------------------------------------------------------------------------
# Touchpoint


def test_the_people_search_finds_a_person_from_the_store(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    ines = _person(ctx, "Ines", "Brandt")
    _person(ctx, "Jonas", "Weber")
    dialog = TouchpointDialog(ctx, runner)
    _show(qtbot, dialog)
    picker = dialog.people
    _type(picker.search_edit, "brand")
    qtbot.waitUntil(lambda: picker.results() == [(ines.id, "Ines Brandt")])

    QTest.keyClick(picker.search_edit, Qt.Key.Key_Return)
    assert picker.person_ids() == (ines.id,)
    assert picker.chips.texts() == ["Ines Brandt"]
    assert picker.search_edit.text() == ""
    assert not dialog.isHidden()  # Return in the search field picks a person, it does not save

    _click(picker.chips.chip_remove_button(ines.id))
    assert picker.person_ids() == ()


def test_the_touchpoint_dialog_produces_a_touchpoint(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    ines = _person(ctx, "Ines", "Brandt")
    brandt = _company(ctx, "Brandt Maschinenbau GmbH")
    dialog = TouchpointDialog(ctx, runner, person_ids=[ines.id])
    _show(qtbot, dialog)
    assert dialog.windowTitle() == "New touchpoint"
    qtbot.waitUntil(lambda: dialog.people.chips.texts() == ["Ines Brandt"])
    assert not dialog.save_button.isEnabled()  # no subject yet

    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData(TouchpointType.TURNOVER))
    dialog.when_edit.setDateTime(QDateTime(QDate(2025, 3, 12), QTime(14, 30)))
    _type(dialog.subject_edit, "Order CNC spindles")
    _type(dialog.body_edit, "Signed order arrived.")
    assert dialog.amount_edit.isVisible()

    _type(dialog.amount_edit, "12.500,00")
    assert not dialog.save_button.isEnabled()
    assert dialog.amount_message.isVisible()
    assert "not an amount" in dialog.amount_message.text()
    _clear(dialog.amount_edit)
    _type(dialog.amount_edit, "12500.00")
    _clear(dialog.currency_combo.lineEdit())
    _type(dialog.currency_combo.lineEdit(), "chf")
    assert not dialog.amount_message.isVisible()

    _type(dialog.company_field, "Nowhere Ltd")
    qtbot.waitUntil(lambda: dialog.company_message.isVisible())
    assert "no company called “Nowhere Ltd”" in dialog.company_message.text()
    assert not dialog.save_button.isEnabled()
    _clear(dialog.company_field)
    _type(dialog.company_field, "brandt maschinenbau gmbh")
    qtbot.waitUntil(lambda: dialog.company_field.company_id() == brandt.id)
    assert not dialog.company_message.isVisible()
    _type(dialog.tags_edit, "Order")

    assert dialog.save_button.isEnabled()
    dialog.accept()
    touchpoint = dialog.result_record()
    assert touchpoint is not None
    assert touchpoint.type is TouchpointType.TURNOVER
    assert touchpoint.occurred_at == dt.datetime(2025, 3, 12, 14, 30).astimezone().astimezone(dt.UTC)
    assert touchpoint.occurred_at.tzinfo is dt.UTC
    assert (touchpoint.subject, touchpoint.body) == ("Order CNC spindles", "Signed order arrived.")
    assert touchpoint.person_ids == (ines.id,)
    assert touchpoint.company_id == brandt.id
    assert touchpoint.tags == ("Order",)
    assert (touchpoint.amount, touchpoint.currency) == ("12500.00", "CHF")


def test_amount_is_only_for_turnover(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    dialog = TouchpointDialog(ctx, runner)
    _show(qtbot, dialog)
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData(TouchpointType.CALL))
    assert not dialog.amount_edit.isVisible()
    _type(dialog.subject_edit, "Quick call")
    dialog.accept()
    touchpoint = dialog.result_record()
    assert touchpoint is not None
    assert (touchpoint.amount, touchpoint.currency) == ("", "")


def test_editing_a_touchpoint_shows_names_and_keeps_its_time(qtbot: QtBot, ctx: Context, runner: JobRunner) -> None:
    ines = _person(ctx, "Ines", "Brandt")
    jonas = _person(ctx, "Jonas", "Weber")
    brandt = _company(ctx, "Brandt Maschinenbau GmbH")
    when = dt.datetime(2025, 3, 12, 13, 30, 17, tzinfo=dt.UTC)  # seconds the editor does not show
    original = TouchpointRecord(
        type=TouchpointType.MEETING,
        occurred_at=when,
        subject="Kick-off",
        person_ids=(jonas.id, ines.id),
        company_id=brandt.id,
    )
    dialog = TouchpointDialog(ctx, runner, original)
    _show(qtbot, dialog)
    assert dialog.windowTitle() == "Edit — Kick-off"
    qtbot.waitUntil(lambda: dialog.people.chips.texts() == ["Jonas Weber", "Ines Brandt"])
    qtbot.waitUntil(lambda: dialog.company_field.text() == "Brandt Maschinenbau GmbH")
    assert dialog.save_button.isEnabled()
    QTest.keyClick(dialog.subject_edit, Qt.Key.Key_End)
    _type(dialog.subject_edit, " meeting")
    dialog.accept()
    edited = dialog.result_record()
    assert edited is not None
    assert edited.id == original.id
    assert edited.occurred_at == when
    assert edited.subject == "Kick-off meeting"
    assert edited.person_ids == (jonas.id, ines.id)
    assert edited.company_id == brandt.id


# ---------------------------------------------------------------------------------------------------------------------
# Delete question


@pytest.mark.parametrize(
    ("what", "count", "click", "expected", "question"),
    [
        ("Ines Brandt", 1, "Delete", True, "Delete Ines Brandt?"),
        ("people", 3, "Cancel", False, "Delete 3 people?"),
    ],
)
def test_confirm_delete_asks_first(
    qtbot: QtBot, what: str, count: int, click: str, expected: bool, question: str
) -> None:
    seen: dict[str, object] = {}

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen["text"] = box.text()
        seen["info"] = box.informativeText()
        default = box.defaultButton()
        seen["default"] = default.text() if default is not None else ""
        button = next(b for b in box.buttons() if b.text().replace("&", "") == click)
        button.click()

    QTimer.singleShot(0, answer)
    assert confirm.confirm_delete(None, what=what, count=count) is expected
    assert seen["text"] == question
    assert "Undo" in str(seen["info"]) and "Ctrl+Z" in str(seen["info"])
    assert str(seen["default"]).replace("&", "") == "Cancel"
