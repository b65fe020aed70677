"""Adapters that turn domain results into documents: HTML and PDF booklets, iCalendar."""
