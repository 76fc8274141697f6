"""Virtual exhibitions: pavilions, booths, exhibitor uploads, moderation, the visitor hall, analytics."""
