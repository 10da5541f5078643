"""Reads iCalendar with an independent parser (the `icalendar` package) and
prints what the tests check, as JSON.

Input on stdin: a whole mail (its text/calendar part is read, and the part's
Content-Type must name the same METHOD as the calendar), or, with --feed, a
plain .ics file.
"""

import email
import datetime
import json
import sys

import icalendar


def text(value):
    if value is None:
        return None
    if hasattr(value, "to_ical"):
        raw = value.to_ical()
        return raw.decode() if isinstance(raw, bytes) else str(raw)
    return str(value)


def when(prop):
    if prop is None:
        return None
    dt = prop.dt
    tzid = prop.params.get("TZID")
    return {"local": dt.strftime("%Y-%m-%dT%H:%M"), "tzid": tzid, "utc": dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if getattr(dt, "tzinfo", None) else None}


def summary(cal):
    events = []
    for event in cal.walk("VEVENT"):
        exdates = []
        ex = event.get("EXDATE")
        for entry in ex if isinstance(ex, list) else ([ex] if ex is not None else []):
            exdates.extend(d.dt.strftime("%Y-%m-%dT%H:%M") for d in entry.dts)
        attendees = event.get("ATTENDEE")
        attendees = attendees if isinstance(attendees, list) else ([attendees] if attendees is not None else [])
        events.append({
            "uid": text(event.get("UID")),
            "sequence": int(event.get("SEQUENCE", 0)),
            "summary": text(event.get("SUMMARY")),
            "status": text(event.get("STATUS")),
            "dtstart": when(event.get("DTSTART")),
            "dtend": when(event.get("DTEND")),
            "recurrence_id": when(event.get("RECURRENCE-ID")),
            "rrule": text(event.get("RRULE")),
            "exdates": exdates,
            "organizer": text(event.get("ORGANIZER")),
            "attendees": [
                {"address": str(a), "rsvp": a.params.get("RSVP"), "partstat": a.params.get("PARTSTAT")}
                for a in attendees
            ],
        })
    return {
        "method": text(cal.get("METHOD")),
        "timezones": [text(tz.get("TZID")) for tz in cal.walk("VTIMEZONE")],
        "events": events,
    }


def main():
    data = sys.stdin.buffer.read()
    if "--feed" in sys.argv:
        cal = icalendar.Calendar.from_ical(data)
        print(json.dumps(summary(cal)))
        return
    message = email.message_from_bytes(data)
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
            out = summary(cal)
            out["content_type_method"] = part.get_param("method")
            out["subject"] = str(message["Subject"])
            print(json.dumps(out))
            return
    print(json.dumps({"subject": str(message["Subject"]), "method": None, "events": []}))


main()
