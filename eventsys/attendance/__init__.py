"""Attendance: checkpoints, paired scanner devices, scans and check-ins, arrivals, certificates."""
