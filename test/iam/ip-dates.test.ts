import { describe, expect, it } from "vitest";
import { parseIamDate } from "../../src/iam/dates.js";
import { cidrContains, parseCidr, parseIp } from "../../src/iam/ip.js";

describe("parseIp / parseCidr", () => {
  it("parses IPv4 and rejects out-of-range or zero-padded octets", () => {
    expect(parseIp("10.0.0.1")).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseIp("256.0.0.1")).toBeUndefined();
    expect(parseIp("010.0.0.1")).toBeUndefined();
    expect(parseIp("10.0.0")).toBeUndefined();
  });

  it("parses IPv6 with compression and an embedded IPv4 tail", () => {
    expect(parseIp("::1")).toEqual({ family: 6, value: 1n });
    expect(parseIp("::ffff:10.0.0.1")).toEqual({ family: 6, value: 0xffff0a000001n });
    expect(parseIp("2001:db8::")?.value).toBe(0x20010db8n << 96n);
    expect(parseIp("1:2:3:4:5:6:7:8:9")).toBeUndefined();
    expect(parseIp("1::2::3")).toBeUndefined();
    expect(parseIp("12345::")).toBeUndefined();
  });

  it("masks host bits when testing containment", () => {
    const block = parseCidr("203.0.113.99/24");
    const inside = parseIp("203.0.113.1");
    const outside = parseIp("203.0.112.255");
    if (block === undefined || inside === undefined || outside === undefined) throw new Error("parse failed");
    expect(cidrContains(block, inside)).toBe(true);
    expect(cidrContains(block, outside)).toBe(false);
  });

  it("gives a bare address its full-length prefix and rejects bad prefixes", () => {
    expect(parseCidr("10.0.0.1")?.prefix).toBe(32);
    expect(parseCidr("2001:db8::1")?.prefix).toBe(128);
    expect(parseCidr("10.0.0.0/33")).toBeUndefined();
    expect(parseCidr("2001:db8::/129")).toBeUndefined();
    expect(parseCidr("10.0.0.0/x")).toBeUndefined();
  });
});

describe("parseIamDate", () => {
  it("reads the W3C ISO 8601 profiles as UTC unless a zone is given", () => {
    expect(parseIamDate("2024")).toBe(2024_000); // all digits: epoch seconds
    expect(parseIamDate("2024-06")).toBe(Date.UTC(2024, 5, 1));
    expect(parseIamDate("2024-06-15")).toBe(Date.UTC(2024, 5, 15));
    expect(parseIamDate("2024-06-15T10:30Z")).toBe(Date.UTC(2024, 5, 15, 10, 30));
    expect(parseIamDate("2024-06-15T10:30:05.250Z")).toBe(Date.UTC(2024, 5, 15, 10, 30, 5, 250));
    expect(parseIamDate("2024-06-15T12:30:00+02:00")).toBe(Date.UTC(2024, 5, 15, 10, 30));
    expect(parseIamDate("2024-06-15T08:30:00-0200")).toBe(Date.UTC(2024, 5, 15, 10, 30));
  });

  it("reads epoch seconds", () => {
    expect(parseIamDate("1718452800")).toBe(Date.UTC(2024, 5, 15, 12));
  });

  it("rejects impossible dates", () => {
    expect(parseIamDate("2024-02-30")).toBeUndefined();
    expect(parseIamDate("2024-06-15T24:00:00Z")).toBeUndefined();
    expect(parseIamDate("June 15")).toBeUndefined();
  });
});
