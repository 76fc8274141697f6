"""Exposé programmes: presenters, the auto-scheduler, published versions, the presenter portal, live timekeeping."""
