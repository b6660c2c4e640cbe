/** URL of a worker module beside the caller, as .ts when running from source and .js when built. */
export function workerUrl(relativePath: string, base: string): URL {
  return new URL(`${relativePath}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}
