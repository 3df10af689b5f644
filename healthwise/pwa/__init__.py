"""The phone app (PWA): its shell, service worker and manifest, served from ``static/``."""
