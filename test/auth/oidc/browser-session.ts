/** A cookie jar per host and manual redirects: a browser's part of a sign-in, over real HTTP. */
export class BrowserSession {
  private readonly jars = new Map<string, Map<string, string>>();

  async get(url: string, init: { method?: string; body?: URLSearchParams } = {}): Promise<Response> {
    const target = new URL(url);
    const jar = this.jars.get(target.host) ?? new Map<string, string>();
    this.jars.set(target.host, jar);
    const response = await fetch(target, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '), ...(init.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(init.body ? { body: init.body } : {}),
      signal: AbortSignal.timeout(120_000),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }

  cookie(host: string, name: string): string | undefined {
    return this.jars.get(host)?.get(name);
  }
}

/** Follows redirects from `url` until one points under `stopAt`, submitting the provider's login and consent forms on the way. */
export async function walkProvider(browser: BrowserSession, url: string, stopAt: string, login: string): Promise<string> {
  let next = url;
  for (let step = 0; step < 20; step += 1) {
    if (next.startsWith(stopAt)) return next;
    const response = await browser.get(next);
    const location = response.headers.get('location');
    if (location) {
      next = new URL(location, next).href;
      continue;
    }
    const page = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(page)?.[1];
    if (!action || !prompt) throw new Error(`unexpected page from the provider (${response.status}): ${page.slice(0, 300)}`);
    const body = new URLSearchParams({ prompt, ...(prompt === 'login' ? { login, password: 'any' } : {}) });
    const answer = await browser.get(new URL(action, next).href, { method: 'POST', body });
    next = new URL(answer.headers.get('location') ?? '', next).href;
  }
  throw new Error('the provider never redirected back');
}
