"""Record dialogs, each opened through an `ask()` classmethod that tests monkeypatch (STYLE §8).

- `person.PersonDialog.ask(parent, ctx, runner, record=None) -> PersonRecord | None`
- `company.CompanyDialog.ask(parent, ctx, runner, record=None) -> CompanyRecord | None`
- `touchpoint.TouchpointDialog.ask(parent, ctx, runner, record=None, *, person_ids=(), company_id=None)`
- `confirm.confirm_delete(parent, *, what, count) -> bool`

The three record dialogs share `base.RecordDialog` (window, Save row, accept, the modal run behind `ask()`).

Call them through their modules (`confirm.confirm_delete(...)`), so a test's monkeypatch reaches every caller.
"""
