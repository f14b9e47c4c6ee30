/** The --gateway URL: the gateway's base URL, from which the API and WebSocket addresses follow. */
export class GatewayUrlError extends Error {
  override name = 'GatewayUrlError';
}

/** `http://192.168.1.1:8080` (or https, optionally with a path prefix) → normalised base URL. */
export function parseGatewayUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new GatewayUrlError(
      `--gateway ${JSON.stringify(text)} is not a URL; expected e.g. http://192.168.1.1:8080`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new GatewayUrlError(`--gateway must start with http:// or https:// (got ${url.protocol}//)`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new GatewayUrlError('--gateway takes the base URL only: no user, query or fragment');
  }
  return url;
}

/** The path prefix under which the gateway's API lives ('' normally). */
function prefix(base: URL): string {
  return base.pathname.replace(/\/+$/, '');
}

export function enrollUrl(base: URL): string {
  return `${base.origin}${prefix(base)}/api/v1/agents/enroll`;
}

export function agentSocketUrl(base: URL): string {
  const scheme = base.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${base.host}${prefix(base)}/api/v1/agent`;
}

/** The base URL as stored and compared: no trailing slash. */
export function gatewayText(base: URL): string {
  return `${base.origin}${prefix(base)}`;
}
