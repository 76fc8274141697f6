"""Award nights: categories, nominations, judging, winners, certificates, run-of-show, live stage, satisfaction poll."""
