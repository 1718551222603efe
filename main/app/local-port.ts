// The app's local HTTP port: the usual one (so CLI and AWS tool settings keep working), else any free one.
export const DEFAULT_PORT = 7878;

/** Starts on `port`; when another program holds it, on a port the system picks. */
export async function listenWithFallback<T>(
  port: number,
  listen: (port: number) => Promise<T>,
  onFallback: (err: Error) => void = () => {},
): Promise<T> {
  try {
    return await listen(port);
  } catch (err) {
    if (port === 0 || (err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    onFallback(err as Error);
    return listen(0);
  }
}

/** The port asked for in the environment (`hearth start --port` passes it), else the usual one. */
export function requestedPort(env: NodeJS.ProcessEnv): number {
  const n = Number(env.HEARTH_PORT);
  return env.HEARTH_PORT !== undefined && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : DEFAULT_PORT;
}
