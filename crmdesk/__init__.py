"""crmdesk: a desktop CRM contact manager."""

__version__ = "0.1.0"
APP_NAME = "crmdesk"
APP_ID = "io.github.crmdesk.Crmdesk"
