"""The account editor, "sign in again", and the questions sync asks: mass deletions, removing, discarding.

Open the editor with `AccountDialog.ask(...)` and the sign-in with `SignInDialog.ask(...)`; the questions are module
functions. Tests monkeypatch all of them (STYLE §8). Fields are checked as the user types with
`sync.accounts.check_account`, which reads the few account rows (names must differ) on the GUI thread: one tiny
indexed read, as STYLE §3.6 allows. Nothing is stored here: the caller runs the add or update in a job.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtGui import QColor, QPalette, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from crmdesk.context import Context
from crmdesk.domain.accounts import KINDS, AccountKind, AccountRecord, Policy
from crmdesk.errors import Cancelled, SignInRequired, UserError, ValidationError
from crmdesk.sync.accounts import check_account
from crmdesk.ui import messages
from crmdesk.ui.dialogs.base import RecordDialog
from crmdesk.ui.dialogs.widgets import DialogHeader, FieldMessage, field_label, make_form, save_cancel_buttons
from crmdesk.ui.icons import icon
from crmdesk.ui.ops_sync import SecretInfo
from crmdesk.ui.ops_sync import address_books as address_books_job
from crmdesk.ui.ops_sync import check_connection as check_connection_job
from crmdesk.ui.workers import Job, JobRunner

__all__ = [
    "DEFAULT_URLS",
    "AccountDialog",
    "AccountInput",
    "SignInDialog",
    "ask_mass_delete",
    "confirm_discard",
    "confirm_remove",
    "confirm_resolve_all",
    "policy_hint",
]

DEFAULT_URLS = {kind: info.default_url for kind, info in KINDS.items() if info.default_url}
"""The base URL a new account of a kind starts with (the vendor's cloud)."""
OPTION_FIELDS = {option.key: option for info in KINDS.values() for option in info.options}
"""Every kind-specific option key the form can ask for (each kind shows its own, with its own label: cobra's
`user` is the API e-mail, CardDAV's the user name)."""
WARNING_COLOUR = QColor("#9a5b00")
"""Amber of the "not encrypted" warnings: readable on the window background."""
OK_COLOUR = QColor("#1e7b45")
ERROR_COLOUR = QColor("#b42318")
TOKEN_REFUSED = "The token was refused"
MUTED_ROLE = QPalette.ColorRole.PlaceholderText


def policy_hint(policy: Policy, remote: str) -> str:
    """One line on what a conflict policy does; `remote` names the other side ("Kanbert")."""
    if policy is Policy.LOCAL_WINS:
        first = f"your value is used and sent to {remote}"
    elif policy is Policy.NEWEST_WINS:
        first = "the value changed last is used"
    else:
        first = f"{remote}'s value is used"
    return f"When you and {remote} both changed a field, {first}; the other value is kept as a conflict to look at."


def _muted(text: str = "", *, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(wrap)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setForegroundRole(MUTED_ROLE)
    return label


def _warning(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, WARNING_COLOUR)
    label.setPalette(palette)
    return label


@dataclass(frozen=True, slots=True)
class AccountInput:
    """What the account editor gives back: the account, a new secret (None: keep the stored one), and whether the
    user opted into keeping secrets in the unencrypted file because no keyring works."""

    record: AccountRecord
    secret: str | None
    use_file: bool = False


class AccountDialog(RecordDialog[AccountInput]):
    """Add an account (kind, name, URL, API token, interval, policy) or change one.

    Args:
        ctx: The context.
        record: The account to edit; None for a new one.
        secrets: Where secrets go (None while that is not known yet).
        supported: The kinds crmdesk can sync; the others are listed, disabled, as coming soon.
        runner: Runs "Test connection" (general pool); None hides the button.
        parent: The parent widget.
    """

    def __init__(
        self,
        ctx: Context,
        record: AccountRecord | None = None,
        *,
        secrets: SecretInfo | None,
        supported: tuple[AccountKind, ...],
        runner: JobRunner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, editing=record is not None, window_icon="accounts", header_icon="accounts", parent=parent)
        self._new = record is None
        self._base = record if record is not None else AccountRecord(kind=(supported or (AccountKind.KANBERT,))[0])
        self._secrets = secrets
        self._supported = supported
        self._touched: set[str] = set()
        self._runner = runner
        self._test_job: Job | None = None
        self.setWindowTitle("Add account" if self._new else f"Edit account — {self._base.name}")

        form = make_form()
        form.setContentsMargins(0, 0, 0, 0)
        self.kind_combo = QComboBox()
        for kind in AccountKind:
            ok = kind in supported
            self.kind_combo.addItem(kind.label if ok else f"{kind.label} — coming soon", kind.value)
            model = self.kind_combo.model()
            if not ok and isinstance(model, QStandardItemModel):
                item = model.item(self.kind_combo.count() - 1)
                if item is not None:
                    item.setEnabled(False)
        self.kind_combo.setEnabled(self._new)  # an account's data belongs to its kind: another kind is a new account
        form.addRow(field_label("&Kind:", self.kind_combo), self.kind_combo)

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. Kanbert (Roth & Partner)")
        self.name_edit.setMaxLength(120)
        self.name_message = FieldMessage()
        form.addRow(field_label("&Name:", self.name_edit), self._with(self.name_edit, self.name_message))

        self.url_edit = QLineEdit()
        self.url_edit.addAction(icon("web"), QLineEdit.ActionPosition.LeadingPosition)
        self.url_edit.setPlaceholderText("https://…")
        self.url_message = FieldMessage()
        self.url_label = field_label("&URL:", self.url_edit)
        form.addRow(self.url_label, self._with(self.url_edit, self.url_message))

        # Options each kind needs (cobra: tenant and API e-mail; ImBox: user id): one row per option, shown for
        # the kinds that ask for it.
        self.option_edits: dict[str, QLineEdit] = {}
        self.option_messages: dict[str, FieldMessage] = {}
        self._option_rows: dict[str, QWidget] = {}
        self._option_labels: dict[str, QLabel] = {}
        for key, option in OPTION_FIELDS.items():
            edit = QLineEdit()
            edit.setObjectName(f"option:{key}")
            edit.setPlaceholderText(option.placeholder)
            edit.setMaxLength(200)
            message = FieldMessage()
            self.option_edits[key] = edit
            self.option_messages[key] = message
            self._option_rows[key] = self._with(edit, message)
            self._option_labels[key] = field_label(f"{option.label}:", edit)
            form.addRow(self._option_labels[key], self._option_rows[key])
        # CardDAV: which address book, chosen from what the server lists once the connection is tested.
        self.book_combo = QComboBox()
        self.book_combo.setObjectName("addressbook")
        self.book_hint = _muted()
        self._book_row = self._with(self.book_combo, self.book_hint)
        form.addRow(field_label("Address &book:", self.book_combo), self._book_row)
        self._books_job: Job | None = None
        self._form = form

        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("Paste the API token" if self._new else "Leave empty to keep the stored one")
        self.token_message = FieldMessage()
        self.store_label = _muted()
        self.store_warning = _warning()
        self.file_box = QCheckBox("Keep tokens in a file on this computer instead")
        self.file_warning = _warning("Not encrypted: anyone who can read your files, or a backup of them, can read it.")
        token_box = QWidget()
        token_lay = QVBoxLayout(token_box)
        token_lay.setContentsMargins(0, 0, 0, 0)
        token_lay.setSpacing(3)
        for w in (self.token_edit, self.token_message, self.store_label, self.store_warning, self.file_box):
            token_lay.addWidget(w)
        token_lay.addWidget(self.file_warning)
        self.token_label = field_label("API &token:", self.token_edit)
        form.addRow(self.token_label, token_box)

        self.interval_spin = QSpinBox()
        self.interval_spin.setRange(1, 24 * 60)
        self.interval_spin.setSuffix(" minutes")
        self.interval_spin.setAccelerated(True)
        self.enabled_box = QCheckBox("Sync in the background")
        self.enabled_box.setToolTip("Off: this account syncs only when you press Sync now")
        interval_row = QHBoxLayout()
        interval_row.setSpacing(14)
        interval_row.addWidget(self.interval_spin)
        interval_row.addWidget(self.enabled_box)
        interval_row.addStretch(1)
        self.interval_message = FieldMessage()
        interval_box = QWidget()
        interval_lay = QVBoxLayout(interval_box)
        interval_lay.setContentsMargins(0, 0, 0, 0)
        interval_lay.setSpacing(2)
        interval_lay.addLayout(interval_row)
        interval_lay.addWidget(self.interval_message)
        form.addRow(field_label("Sync &every:", self.interval_spin), interval_box)

        self.policy_combo = QComboBox()
        for policy in Policy:
            self.policy_combo.addItem(policy.label, policy.value)
        self.policy_hint = _muted()
        form.addRow(field_label("&Conflicts:", self.policy_combo), self._with(self.policy_combo, self.policy_hint))

        self.test_button = QPushButton(icon("online"), "Test &connection")
        self.test_button.setToolTip("Try the address and the secret now (nothing is saved)")
        self.test_button.clicked.connect(self._on_test_button_clicked)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setTextFormat(Qt.TextFormat.PlainText)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_box = QWidget()
        test_row = QHBoxLayout(test_box)
        test_row.setContentsMargins(0, 4, 0, 0)
        test_row.setSpacing(10)
        test_row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        test_row.addWidget(self.test_result, 1)
        test_box.setVisible(runner is not None)
        form.addRow("", test_box)
        self._root.addLayout(form)
        self._root.addStretch(1)
        self._build_save_row()
        self.save_button.setText("Add account" if self._new else "Save")

        self._load(self._base)
        self.kind_combo.currentIndexChanged.connect(self._on_kind_combo_current_index_changed)
        self.policy_combo.currentIndexChanged.connect(self._on_field_edited)
        self.file_box.toggled.connect(self._on_field_edited)
        self.enabled_box.toggled.connect(self._on_field_edited)
        self.interval_spin.valueChanged.connect(self._on_field_edited)
        for edit, key in ((self.name_edit, "name"), (self.url_edit, "base_url"), (self.token_edit, "secret")):
            edit.setObjectName(key)
            edit.textEdited.connect(self._on_line_edited)
        for edit in self.option_edits.values():
            edit.textEdited.connect(self._on_line_edited)
        self._show_store()
        self._revalidate()
        self.resize(self.sizeHint().expandedTo(QSize(580, 0)))
        (self.name_edit if self._new else self.token_edit).setFocus(Qt.FocusReason.OtherFocusReason)

    @staticmethod
    def _with(field: QWidget, below: QWidget) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(field)
        lay.addWidget(below)
        return box

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        ctx: Context,
        record: AccountRecord | None = None,
        *,
        secrets: SecretInfo | None,
        supported: tuple[AccountKind, ...],
        runner: JobRunner | None = None,
    ) -> AccountInput | None:
        """Show the dialog modally.

        Args:
            parent: The window the dialog belongs to.
            ctx: The context.
            record: The account to edit, or None for a new one.
            secrets: Where secrets go, or None when not known yet.
            supported: The kinds crmdesk can sync.
            runner: Runs "Test connection"; None hides the button.

        Returns:
            The checked account, a new secret (or None to keep the stored one) and the file opt-in; None if
            cancelled.
        """
        return cls(ctx, record, secrets=secrets, supported=supported, runner=runner, parent=parent)._run_modal()

    def _load(self, a: AccountRecord) -> None:
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(a.kind.value)))
        self.name_edit.setText(a.name)
        self.url_edit.setText(KINDS[a.kind].input_from_url(a.base_url) if a.base_url else DEFAULT_URLS.get(a.kind, ""))
        for key, edit in self.option_edits.items():
            edit.setText(a.option(key))
        self.book_combo.clear()
        book = a.option("addressbook")
        if book:
            self.book_combo.addItem(book.rstrip("/").rsplit("/", 1)[-1], book)
        self.book_hint.setText(
            "Test the connection to list the address books; without a choice crmdesk uses the first one."
        )
        self._show_kind()
        self.interval_spin.setValue(max(1, a.interval_s // 60))
        self.enabled_box.setChecked(a.enabled)
        self.policy_combo.setCurrentIndex(max(0, self.policy_combo.findData(a.policy.value)))

    def _kind(self) -> AccountKind:
        return AccountKind(self.kind_combo.currentData())

    def _show_kind(self) -> None:
        """Labels and rows for the chosen kind: what its address and secret are called, and its options."""
        info = KINDS[self._kind()]
        self.url_label.setText(f"{info.url_label}:")
        self.url_edit.setPlaceholderText(info.url_template.format("acme") if info.url_template else "https://…")
        self.url_edit.setToolTip(
            f"Your subdomain (“acme” for {info.url_template.format('acme')}) or the full API address"
            if info.url_template
            else ""
        )
        self.token_label.setText(f"{info.secret_label}:")
        noun = info.secret_label[0].lower() + info.secret_label[1:]
        self.token_edit.setPlaceholderText(f"Paste the {noun}" if self._new else "Leave empty to keep the stored one")
        wanted = {option.key: option for option in info.options}
        for key, row in self._option_rows.items():
            self._form.setRowVisible(row, key in wanted)
            if key in wanted:
                self._option_labels[key].setText(f"{wanted[key].label}:")
                self.option_edits[key].setPlaceholderText(wanted[key].placeholder)
        self._form.setRowVisible(self._book_row, self._kind() is AccountKind.CARDDAV)
        self.name_edit.setPlaceholderText(f"e.g. {self._kind().label} (Roth & Partner)")
        # Rows appeared or went: the dialog takes the height they need (it never shrinks under the user).
        layout = self.layout()
        if layout is not None:
            layout.activate()
        hint = self.sizeHint()
        if hint.height() > self.height() or hint.width() > self.width():
            self.resize(max(self.width(), hint.width()), max(self.height(), hint.height()))

    def _needs_store(self) -> bool:
        """Whether saving stores a secret, so a secret store must work."""
        return self._new or bool(self.token_edit.text())

    def _show_store(self) -> None:
        """Where the token is kept, or that no keyring works here and the file is the user's explicit choice."""
        info = self._secrets
        unavailable = info is not None and not info.available
        self.store_label.setVisible(info is not None and info.available)
        self.store_warning.setVisible(unavailable or (info is not None and not info.encrypted))
        self.file_box.setVisible(unavailable)
        self.file_warning.setVisible(unavailable)
        if info is None:
            return
        if info.available:
            self.store_label.setText(f"Kept in {info.description}.")
            if not info.encrypted:
                self.store_warning.setText("Not encrypted: anyone who can read your files can read it.")
        else:
            hint = info.hints[0] if info.hints else ""
            self.store_warning.setText(f"{info.problem} {hint}".strip())

    # ---- the record -----------------------------------------------------------------------------------------

    def record(self) -> AccountInput:
        """The account as entered now (not yet checked)."""
        token = self.token_edit.text()
        kind = self._kind()
        wanted = {option.key for option in KINDS[kind].options}
        options = dict(self._base.options)
        for key, edit in self.option_edits.items():
            if key in wanted:
                options[key] = edit.text().strip()
            elif kind is not self._base.kind:
                options.pop(key, None)
        if kind is AccountKind.CARDDAV and self.book_combo.currentData():
            options["addressbook"] = str(self.book_combo.currentData())
        elif kind is not AccountKind.CARDDAV:
            options.pop("addressbook", None)
        rec = self._base.replace(
            kind=kind,
            name=self.name_edit.text(),
            base_url=KINDS[kind].url_from_input(self.url_edit.text()),
            options=tuple(sorted(options.items())),
            interval_s=self.interval_spin.value() * 60,
            policy=Policy(self.policy_combo.currentData()),
            enabled=self.enabled_box.isChecked(),
        )
        use_file = self._secrets is not None and not self._secrets.available and self.file_box.isChecked()
        return AccountInput(rec, token if (self._new or token) else None, use_file)

    def problems(self) -> dict[str, str]:
        """Field name (`kind`, `name`, `base_url`, `secret`, `interval_s`, `secret_store`) → what is wrong."""
        entered = self.record()
        found: dict[str, str] = {}
        try:
            check_account(self._ctx, entered.record, secret=entered.secret)
        except ValidationError as exc:
            found.update(exc.problems)
        if self._kind() not in self._supported:
            found["kind"] = "crmdesk cannot sync this kind of account yet"
        info = self._secrets
        if self._needs_store() and info is not None and not info.available and not entered.use_file:
            found["secret_store"] = "No keyring works here: tick the box to keep the token in a file instead"
        return found

    def _message(self, problems: dict[str, str], key: str, prefix: str) -> str | None:
        if key not in problems or not (self._required_touched or key in self._touched):
            return None
        return f"{prefix} {problems[key]}"

    def _revalidate(self) -> None:
        problems = self.problems()
        self.name_message.show_message(self._message(problems, "name", "The name"))
        self.url_message.show_message(self._message(problems, "base_url", f"The {KINDS[self._kind()].url_label}"))
        for key, message in self.option_messages.items():
            text = (
                problems.get(f"option:{key}") if (self._required_touched or f"option:{key}" in self._touched) else None
            )
            labels = {o.key: o.label for o in KINDS[self._kind()].options}
            message.show_message(f"{labels.get(key, key)} is required" if text else None)
        token = self._message(problems, "secret", "The token")
        self.token_message.show_message(token or (problems.get("secret_store") if self._required_touched else None))
        self.interval_message.show_message(problems.get("interval_s"))
        self.save_button.setEnabled(not problems)
        self.save_button.setToolTip(next(iter(problems.values()), "") if problems else "")
        self.general_message.show_message(None)
        self.policy_hint.setText(policy_hint(Policy(self.policy_combo.currentData()), self._kind().label))
        host = self.url_edit.text().strip().removeprefix("https://").removeprefix("http://").split("/")[0]
        subtitle = " · ".join(p for p in (self._kind().label, host) if p)
        self.header.set_texts(self.name_edit.text().strip(), subtitle, placeholder="New account")
        self._forget_test()  # the answer was about the fields as they were
        self.test_button.setEnabled(
            not ({"kind", "base_url", "secret"} & problems.keys())
            and not any(k.startswith("option:") for k in problems)
        )

    # ---- test connection ------------------------------------------------------------------------------------

    def test_connection(self) -> None:
        """Try the URL and token as entered, in a job; the answer shows beside the button."""
        if self._runner is None or not self.test_button.isEnabled():
            return
        entered = self.record()
        rec = entered.record.replace(base_url=entered.record.base_url.strip())
        secret = entered.secret.strip() if entered.secret is not None else None
        job = check_connection_job(self._ctx, rec, secret=secret)
        job.signals.succeeded.connect(self._on_test_job_succeeded)
        job.signals.failed.connect(self._on_test_job_failed)
        self._test_job = job
        self._show_test("Testing…", None)
        self.test_button.setEnabled(False)
        self._runner.read(job)

    @property
    def testing(self) -> bool:
        return self._test_job is not None

    def _forget_test(self) -> None:
        if self._test_job is not None:
            self._test_job.cancel.set()  # its answer would be about other fields: dropped when it comes
            self._test_job = None
        self._show_test("", None)

    def _show_test(self, text: str, ok: bool | None) -> None:
        self.test_result.setText(text)
        self.test_result.setProperty("result", "" if ok is None else ("ok" if ok else "error"))
        palette = self.test_result.palette()
        colour = self.palette().color(MUTED_ROLE) if ok is None else (OK_COLOUR if ok else ERROR_COLOUR)
        palette.setColor(QPalette.ColorRole.WindowText, colour)
        self.test_result.setPalette(palette)

    def _test_done(self) -> bool:
        """Whether the job that answered is the current test (a later edit forgets it); ends the busy state."""
        job = self._test_job
        if job is None or self.sender() is not job.signals:
            return False
        self._test_job = None
        self.test_button.setEnabled(True)
        return True

    @Slot(object)
    def _on_test_job_succeeded(self, answer: str) -> None:
        if self._test_done():
            self._show_test(answer, True)
            if self._kind() is AccountKind.CARDDAV:
                self._list_books()

    def _list_books(self) -> None:
        """After a good test of a CardDAV account: fill the address-book picker from the server (in a job)."""
        if self._runner is None:
            return
        entered = self.record()
        rec = entered.record.replace(base_url=entered.record.base_url.strip())
        secret = entered.secret.strip() if entered.secret is not None else None
        job = address_books_job(self._ctx, rec, secret=secret)
        job.signals.succeeded.connect(self._on_books_job_succeeded)
        job.signals.failed.connect(self._on_books_job_failed)
        self._books_job = job
        self.book_hint.setText("Listing the address books…")
        self._runner.read(job)

    @Slot(object)
    def _on_books_job_failed(self, exc: BaseException) -> None:
        if self._books_job is None or self.sender() is not self._books_job.signals:
            return
        self._books_job = None
        if not isinstance(exc, Cancelled):
            self.book_hint.setText(f"The address books could not be listed: {exc}")

    @Slot(object)
    def _on_books_job_succeeded(self, books: list[tuple[str, str]]) -> None:
        if self._books_job is None or self.sender() is not self._books_job.signals:
            return
        self._books_job = None
        chosen = self.book_combo.currentData()
        self.book_combo.clear()
        for url, name in books:
            self.book_combo.addItem(name, url)
        index = self.book_combo.findData(chosen) if chosen else -1
        self.book_combo.setCurrentIndex(max(0, index))
        self.book_hint.setText(
            f"{len(books)} address book{'s' if len(books) != 1 else ''} on the server."
            if books
            else "The server lists no address book for this user."
        )

    @Slot(object)
    def _on_test_job_failed(self, exc: BaseException) -> None:
        if not self._test_done() or isinstance(exc, Cancelled):
            return
        if isinstance(exc, SignInRequired):
            self._show_test(TOKEN_REFUSED, False)
        elif isinstance(exc, UserError):
            self._show_test(str(exc), False)
        else:
            self._show_test("The test failed.", False)
            messages.show_error(self, exc)  # a bug: the crash dialog

    def done(self, result: int) -> None:
        if self._books_job is not None:
            self._books_job.cancel.set()
            self._books_job = None
        if self._test_job is not None:
            self._test_job.cancel.set()
            self._test_job = None
        super().done(result)

    def _check(self, record: AccountInput) -> AccountInput:
        rec = record.record.replace(name=record.record.name.strip(), base_url=record.record.base_url.strip())
        secret = record.secret.strip() if record.secret is not None else None  # a pasted token's stray blanks
        check_account(self._ctx, rec, secret=secret)
        return AccountInput(rec, secret, record.use_file)

    # ---- slots ----------------------------------------------------------------------------------------------

    @Slot()
    def _on_test_button_clicked(self) -> None:
        self.test_connection()

    @Slot(str)
    def _on_line_edited(self, text: str) -> None:
        sender = self.sender()
        if isinstance(sender, QLineEdit) and sender.objectName():
            self._touched.add(sender.objectName())  # the field's name in check_account's problems
        self._revalidate()

    @Slot(int)
    def _on_kind_combo_current_index_changed(self, index: int) -> None:
        url = self.url_edit.text().strip()
        if not url or url in DEFAULT_URLS.values():
            self.url_edit.setText(DEFAULT_URLS.get(self._kind(), ""))
        self._show_kind()
        self._revalidate()


class SignInDialog(QDialog):
    """Ask for a new API token after the server refused the stored one.

    Args:
        account: The account.
        secrets: Where the token will be kept (None when not known).
        parent: The parent widget.
    """

    def __init__(self, account: AccountRecord, *, secrets: SecretInfo | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Sign in again — {account.name}")
        self.setWindowIcon(icon("accounts"))
        self.setModal(True)
        root = QVBoxLayout(self)
        root.setContentsMargins(18, 16, 18, 14)
        root.setSpacing(12)
        header = DialogHeader("accounts")
        header.set_texts(account.name, f"{account.kind.label} · sign in again")
        root.addWidget(header)
        intro = QLabel(
            f"{account.kind.label} refused the token crmdesk has for this account (it may have been revoked or "
            "may have expired). Enter a new API token; sync starts again at once."
        )
        intro.setWordWrap(True)
        root.addWidget(intro)
        form = make_form()
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("Paste the new API token")
        form.addRow(field_label("API &token:", self.token_edit), self.token_edit)
        root.addLayout(form)
        if secrets is not None and secrets.available:
            where = _muted(f"Kept in {secrets.description}.")
            root.addWidget(where)
        elif secrets is not None:
            root.addWidget(_warning(secrets.problem))
        line = QFrame()
        line.setFrameShape(QFrame.Shape.NoFrame)
        root.addWidget(line, 1)
        self.buttons, self.save_button = save_cancel_buttons(self)
        self.save_button.setText("Sign in")
        root.addWidget(self.buttons)
        self.token_edit.textChanged.connect(self._on_token_edit_text_changed)
        self._on_token_edit_text_changed(self.token_edit.text())
        self.resize(self.sizeHint().expandedTo(QSize(480, 0)))

    @classmethod
    def ask(cls, parent: QWidget | None, account: AccountRecord, *, secrets: SecretInfo | None) -> str | None:
        """Show the dialog modally; the new token, or None if cancelled."""
        dialog = cls(account, secrets=secrets, parent=parent)
        try:
            return dialog.token() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()

    def token(self) -> str:
        return self.token_edit.text().strip()

    @Slot(str)
    def _on_token_edit_text_changed(self, text: str) -> None:
        self.save_button.setEnabled(bool(text.strip()))


# ---- questions --------------------------------------------------------------------------------------------------


def _question(parent: QWidget | None, title: str, text: str, info: str) -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    box.setInformativeText(info)
    return box


def ask_mass_delete(parent: QWidget | None, *, account: str, local: int, remote: int, message: str = "") -> bool:
    """The mass-delete guard stopped a run: delete the records anyway, or keep them (the default)?

    Args:
        parent: The window asking.
        account: The account's name.
        local: Records the run would delete here (they were deleted on the server).
        remote: Records it would delete on the server (they were deleted here).
        message: The guard's own words ("… would delete 8 people and 2 companies here …"), shown when given.

    Returns:
        True if the user chose to delete them.
    """
    where = []
    if local:
        where.append(f"{local} record{'s' if local != 1 else ''} here")
    if remote:
        where.append(f"{remote} on the server")
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(f"Delete records? — {account}")
    if message:  # it says which kinds of records; the counts alone do not (the title names the account)
        text = message.removeprefix(f"{account}: ")
        box.setText(text[:1].upper() + text[1:])
    else:
        box.setText(f"This sync of “{account}” would delete {' and '.join(where) or 'records'}.")
    box.setInformativeText(
        ("" if message else "That is more than a sync deletes without asking, so nothing was deleted. ")
        + "If the deletions are right, delete them. If not (the account points somewhere else, the server lost "
        "data), keep them: this account pauses until you press Sync now, which asks again."
    )
    delete = box.addButton(f"Delete {' and '.join(where) or 'them'}", QMessageBox.ButtonRole.DestructiveRole)
    delete.setIcon(icon("delete"))
    keep = box.addButton("Keep them", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    return box.clickedButton() is delete


def confirm_resolve_all(parent: QWidget | None, *, mine: bool, count: int, remote: str, account: str = "") -> bool:
    """Settle many conflicts at once ("Keep all mine" / "Take all theirs")? Cancel is the default.

    Args:
        parent: The window asking.
        mine: True keeps my values, False takes the server's.
        count: How many conflicts.
        remote: Who "theirs" is ("Kanbert", or "the servers" across accounts).
        account: The account they belong to, or "" for every listed one.

    Returns:
        True if the user confirmed.
    """
    n = f"{count:,} conflict{'s' if count != 1 else ''}"
    where = f" of “{account}”" if account else ""
    if mine:
        text = f"Keep your value in all {n}{where}?"
        info = f"Your values stay and go to {remote} with the next sync."
        verb = "Keep all mine"
    else:
        text = f"Take {remote}'s value in all {n}{where}?"
        info = "Your values in these fields are replaced by theirs here."
        verb = "Take all theirs"
    box = _question(parent, verb, text, info)
    ok = box.addButton(verb, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is ok


def confirm_remove(parent: QWidget | None, *, account: str, pending: int) -> bool:
    """Remove an account? Cancel is the default. True if the user chose Remove."""
    unsent = f" The {pending} change{'s' if pending != 1 else ''} not sent yet will not be sent." if pending else ""
    box = _question(
        parent,
        "Remove account",
        f"Remove the account “{account}”?",
        f"Its token and sync state are removed; your people and companies stay in crmdesk.{unsent}",
    )
    remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
    remove.setIcon(icon("delete"))
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is remove


def confirm_discard(parent: QWidget | None, *, name: str, change: str, account: str) -> bool:
    """Discard a change before it is sent? A record new here is deleted, so the question says so.

    Args:
        parent: The window asking.
        name: The record's name.
        change: "new", "changed" or "deleted" (`OutboxEntry.change`).
        account: The account's name.

    Returns:
        True if the user chose to discard.
    """
    if change == "new":
        text, info, verb = (
            f"Delete “{name}”?",
            f"“{name}” was made here and has not been sent to “{account}”: discarding it deletes the record.",
            "Delete",
        )
    elif change == "deleted":
        text, info, verb = (
            f"Bring “{name}” back?",
            f"You deleted this record here; discarding that change brings it back, and “{account}” keeps it.",
            "Bring back",
        )
    else:
        text, info, verb = (
            f"Discard your changes to “{name}”?",
            f"The record goes back to what “{account}” last had; your changes are not sent.",
            "Discard",
        )
    box = _question(parent, "Discard change", text, info)
    discard = box.addButton(verb, QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is discard
