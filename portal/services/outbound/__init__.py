"""Messages out: notifications, fallbacks, texts, send pacing, receipts and call-backs."""
