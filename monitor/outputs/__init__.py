"""Outputs: the digest (Markdown, HTML, text, mail), the Atom feed, the deadline calendar and
the one-page story, each a pure function of a Report.  [jinja2, nh3, icalendar]"""
