"""Helpers for tests/test_browser.py: a JupyterLab server and Playwright steps."""
