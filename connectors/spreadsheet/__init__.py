"""The spreadsheet connector kind: task records in .csv, .xlsx and .xls files."""

from connectors.spreadsheet.connector import SpreadsheetConnector

__all__ = ["SpreadsheetConnector"]
