/**
 * What a "device" is for the new-sign-in notice: the pair of browser and operating system that a
 * user agent names ("Firefox on Linux"), never the full string (versions change weekly and would
 * make every update a new device). A small, ordered set of rules: the first that matches names it.
 */
export interface Device {
  browser: string;
  os: string;
}

const BROWSERS: Array<[RegExp, string]> = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\b(OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(Firefox|FxiOS)\//, 'Firefox'],
  [/\b(Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/\bcurl\//, 'curl'],
];

const SYSTEMS: Array<[RegExp, string]> = [
  [/\b(iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

const first = (rules: Array<[RegExp, string]>, text: string, fallback: string) => rules.find(([pattern]) => pattern.test(text))?.[1] ?? fallback;

export function deviceOf(userAgent: string | null): Device {
  const text = userAgent ?? '';
  return { browser: first(BROWSERS, text, 'Unknown browser'), os: first(SYSTEMS, text, 'unknown system') };
}

/** The device as stored and shown: "Firefox on Linux". */
export const deviceLabel = (device: Device): string => `${device.browser} on ${device.os}`;
