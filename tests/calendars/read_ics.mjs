// Reads .ics files with Mozilla's ical.js (the parser inside Thunderbird) and prints what a
// calendar client would see, as JSON: one object per file, in argument order.
//
//   node tests/calendars/read_ics.mjs a.ics b.ics ...    (or one file on standard input)
//
// Times are resolved with each file's own VTIMEZONE only: the zone registry is emptied before
// every file and filled from that file, and a TZID the file does not define is an error rather
// than a silent floating time. Timed values are printed as UTC ISO strings; all-day values as
// dates with all_day set. Any parse error names the file and exits with status 1.

import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const CALENDAR_PROPERTIES = [
  "prodid", "version", "calscale", "method", "name", "x-wr-calname", "description", "x-wr-caldesc",
  "x-wr-timezone", "refresh-interval", "x-published-ttl",
];
const DURATION_PROPERTIES = ["refresh-interval", "x-published-ttl"];
const DURATION_PATTERN = /^[+-]?P(\d+W|(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?)$/;

// ical.js 2.2.1 knows RFC 5545 but not RFC 7986's NAME, nor the de facto X-WR-CALNAME and
// X-WR-CALDESC, so it would keep their raw text, escapes and all. Calendar clients read them as
// TEXT (what RFC 7986 says of NAME), so the parser is told so.
for (const name of ["name", "x-wr-calname", "x-wr-caldesc"]) {
  ICAL.design.icalendar.property[name] = { defaultType: "text" };
}

function fail(message) {
  throw new Error(message);
}

function text(value) {
  return value === null || value === undefined ? null : String(value);
}

function durationSeconds(raw) {
  // Both properties are RFC 5545 DURATION values; anything else ("1:00:00") is not one.
  if (raw === null) return null;
  const value = String(raw);
  if (!DURATION_PATTERN.test(value) || value === "P" || value.endsWith("T")) return null;
  return ICAL.Duration.fromString(value).toSeconds();
}

function readParameters(property) {
  const params = {};
  for (const [name, value] of Object.entries(property.toJSON()[1])) {
    params[name.toUpperCase()] = Array.isArray(value) ? value.join(",") : String(value);
  }
  return params;
}

function address(property) {
  return property ? { value: String(property.getFirstValue()), params: readParameters(property) } : null;
}

function moment(property, fileZones, what) {
  if (!property) return null;
  const time = property.getFirstValue();
  if (!(time instanceof ICAL.Time)) fail(`${what} is not a date or date-time`);
  if (time.isDate) {
    if (property.getParameter("tzid")) fail(`${what} is a DATE with a TZID`);
    return { all_day: true, value: time.toString() };
  }
  const tzid = property.getParameter("tzid");
  if (tzid) {
    // The zone must be the one this file defines, not a registry leftover or the floating zone.
    if (!time.zone || !fileZones.has(time.zone.component)) {
      fail(`${what} uses TZID ${tzid}, which this file does not define with a VTIMEZONE`);
    }
  } else if (time.zone !== ICAL.Timezone.utcTimezone) {
    fail(`${what} is a floating time (neither UTC nor TZID)`);
  }
  return { all_day: false, value: new Date(time.toUnixTime() * 1000).toISOString() };
}

function parse(source, label) {
  try {
    return new ICAL.Component(ICAL.parse(source));
  } catch (error) {
    fail(`${label}: ${error.message}`);
  }
}

function readCalendar(source, label) {
  const root = parse(source, label);
  if (root.name !== "vcalendar") fail(`${label}: the top component is ${root.name}, not VCALENDAR`);

  ICAL.TimezoneService.reset();
  const fileZones = new Set();
  for (const zone of root.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(zone);
    fileZones.add(zone);
  }

  const properties = {};
  for (const name of CALENDAR_PROPERTIES) {
    const property = root.getFirstProperty(name);
    if (property) properties[name] = text(property.getFirstValue());
  }
  for (const name of DURATION_PROPERTIES) {
    if (name in properties) properties[`${name}-seconds`] = durationSeconds(properties[name]);
  }

  const events = root.getAllSubcomponents("vevent").map((vevent, index) => {
    const uid = text(vevent.getFirstPropertyValue("uid"));
    const what = `${label}: VEVENT ${uid ?? `#${index + 1}`}`;
    const start = moment(vevent.getFirstProperty("dtstart"), fileZones, `${what} DTSTART`);
    let end = moment(vevent.getFirstProperty("dtend"), fileZones, `${what} DTEND`);
    if (end === null && vevent.hasProperty("duration")) {
      // ical.js computes the end from DURATION in the start's zone, as clients do.
      const event = new ICAL.Event(vevent);
      end = { all_day: start.all_day, value: start.all_day ? event.endDate.toString()
        : new Date(event.endDate.toUnixTime() * 1000).toISOString() };
    }
    const sequence = vevent.getFirstPropertyValue("sequence");
    return {
      uid,
      sequence: sequence === null ? null : Number(sequence),
      status: text(vevent.getFirstPropertyValue("status")),
      summary: text(vevent.getFirstPropertyValue("summary")),
      location: text(vevent.getFirstPropertyValue("location")),
      description: text(vevent.getFirstPropertyValue("description")),
      url: text(vevent.getFirstPropertyValue("url")),
      transp: text(vevent.getFirstPropertyValue("transp")),
      organizer: address(vevent.getFirstProperty("organizer")),
      attendees: vevent.getAllProperties("attendee").map(address),
      start,
      end,
      dtstamp: moment(vevent.getFirstProperty("dtstamp"), fileZones, `${what} DTSTAMP`),
    };
  });
  return { properties, timezones: [...fileZones].map((zone) => zone.getFirstPropertyValue("tzid")), events };
}

const files = process.argv.slice(2);
const sources = files.length ? files.map((path) => [path, readFileSync(path, "utf8")])
  : [["<stdin>", readFileSync(0, "utf8")]];
try {
  process.stdout.write(JSON.stringify(sources.map(([label, source]) => readCalendar(source, label))));
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
