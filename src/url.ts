/** `path` resolved under `base` as a directory, whether or not `base` ends in a slash. */
export function urlUnder(base: string, path: string): URL {
  return new URL(path, base.endsWith('/') ? base : `${base}/`);
}
