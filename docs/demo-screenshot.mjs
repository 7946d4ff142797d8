// Takes docs/demo-arende.png, the demo portal's case page, from a running
// `make run` that has been sent the example signals (README.md, "Try the
// demo"): headless Chromium logs in as Tolvan through the login form, opens
// the case with all four actions and saves the page at 1200×900.
//
//   node --experimental-websocket docs/demo-screenshot.mjs [ME_URL] [FILE]
//
// (Node 22 and later need no flag.) It drives Chromium over the DevTools
// protocol with Node's own WebSocket: no npm package, no download.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const meURL = (process.argv[2] || 'http://127.0.0.1:8080').replace(/\/$/, '');
const file = process.argv[3] || 'docs/demo-arende.png';
const caseTitle = 'Bygglov för tillbyggnad av enbostadshus, Solrosen 4'; // docs/examples/signal-all-actions.xml
const chromium = process.env.CHROMIUM || 'chromium';

if (typeof WebSocket === 'undefined') {
  console.error('demo-screenshot: this Node has no WebSocket: run it with node --experimental-websocket (Node 20) or Node 22+');
  process.exit(2);
}

const profile = mkdtempSync(join(tmpdir(), 'me-screenshot-'));
const browser = spawn(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-port=0',
  `--user-data-dir=${profile}`, '--window-size=1200,900', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
const stop = (code) => { browser.kill(); setTimeout(() => { rmSync(profile, { recursive: true, force: true }); process.exit(code); }, 500); };

try {
  await main();
  stop(0);
} catch (err) {
  console.error(`demo-screenshot: ${err.message}`);
  stop(1);
}

async function main() {
  const endpoint = await new Promise((resolve, reject) => {
    let seen = '';
    browser.stderr.on('data', (d) => {
      seen += d;
      const m = seen.match(/DevTools listening on (ws:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    browser.on('exit', () => reject(new Error(`${chromium} exited:\n${seen}`)));
    setTimeout(() => reject(new Error(`${chromium} did not start in 20 s:\n${seen}`)), 20000);
  });
  const cdp = await connect(endpoint);
  const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
  const page = (method, params) => cdp.send(method, params, sessionId);
  await page('Page.enable');
  await page('Emulation.setDeviceMetricsOverride', { width: 1200, height: 900, deviceScaleFactor: 1, mobile: false });

  const load = async (navigate) => {
    const loaded = cdp.once('Page.loadEventFired', sessionId);
    await navigate();
    await loaded;
  };
  const evaluate = async (expression) => {
    const { result, exceptionDetails } = await page('Runtime.evaluate', { expression, returnByValue: true });
    if (exceptionDetails) throw new Error(`${expression}: ${exceptionDetails.text}`);
    return result.value;
  };

  // Log in as the first citizen offered (Tolvan), as a visitor would.
  await load(() => page('Page.navigate', { url: `${meURL}/demo/` }));
  await load(() => evaluate(`(() => {
    const f = document.querySelector('form[action$="logga-in"]');
    if (!f) throw new Error('no login form on ${meURL}/demo/: is make run up with the demo on?');
    f.querySelector('[type=submit]') ? f.querySelector('[type=submit]').click() : f.submit();
  })()`));
  const href = await evaluate(`(() => {
    const a = [...document.querySelectorAll('a[href*="/demo/arenden/"]')].find((a) => a.textContent.includes(${JSON.stringify(caseTitle)}));
    return a ? a.href : '';
  })()`);
  if (!href) throw new Error(`no case "${caseTitle}" in Mina ärenden: send the example signals first (README.md, "Try the demo")`);
  await load(() => page('Page.navigate', { url: href }));
  const { data } = await page('Page.captureScreenshot', { format: 'png' });
  writeFileSync(file, Buffer.from(data, 'base64'));
  console.log(`demo-screenshot: ${href} → ${file}`);
}

// connect opens the DevTools protocol on endpoint: send(method, params,
// sessionId) answers with the result; once(event, sessionId) with the
// event's parameters when it next comes.
function connect(endpoint) {
  const ws = new WebSocket(endpoint);
  let next = 0;
  const pending = new Map();
  const waiting = [];
  ws.onmessage = ({ data }) => {
    const msg = JSON.parse(data);
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
      return;
    }
    const i = waiting.findIndex((w) => w.method === msg.method && w.sessionId === msg.sessionId);
    if (i >= 0) waiting.splice(i, 1)[0].resolve(msg.params);
  };
  const cdp = {
    send: (method, params = {}, sessionId) => new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject, method });
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    }),
    once: (method, sessionId) => new Promise((resolve, reject) => {
      waiting.push({ method, sessionId, resolve });
      setTimeout(() => reject(new Error(`${method} did not come in 20 s`)), 20000);
    }),
  };
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve(cdp);
    ws.onerror = () => reject(new Error(`cannot connect to ${endpoint}`));
  });
}
