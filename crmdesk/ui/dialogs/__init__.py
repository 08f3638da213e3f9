"""Dialogs, each opened through an `ask()` classmethod that tests monkeypatch (STYLE §8).

- `person.PersonDialog.ask(parent, ctx, runner, record=None) -> PersonRecord | None`
- `company.CompanyDialog.ask(parent, ctx, runner, record=None) -> CompanyRecord | None`
- `touchpoint.TouchpointDialog.ask(parent, ctx, runner, record=None, *, person_ids=(), company_id=None)`
- `confirm.confirm_delete(parent, *, what, count) -> bool`
- `imports.ImportDialog.ask(parent, ctx, runner, files) -> ImportDialog` (opens without blocking: preview, import,
  result; `imported(report)` once the import is done)
- `exports.ExportDialog.ask(parent, ctx, runner, *, selected, query, prefer_selected=False) -> ExportChoice | None`
- `files.open_contacts(...)`, `files.save_file(...)`, `files.choose_folder(...)`: the file pickers of import/export

The three record dialogs share `base.RecordDialog` (window, Save row, accept, the modal run behind `ask()`).

Call them through their modules (`confirm.confirm_delete(...)`, `files.save_file(...)`), so a test's monkeypatch
reaches every caller.
"""
