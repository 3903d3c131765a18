package main

import (
	"github.com/manga-alert-italia/mangaalert/backend"
	"github.com/manga-alert-italia/mangaalert/notifier"
)

// The alert emails link the privacy page because the binary hands the
// notifier the backend's Links, which know it.
var _ notifier.PrivacyLinks = (*backend.Links)(nil)
