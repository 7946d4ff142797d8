// The demo pages in headless Chromium, as a new user follows the README:
// with the README's example signals already sent to a fresh ME, each
// citizen logs in and completes the three seed flows through the pages
// (start an e-service with prefill; read a case, download both
// attachments, write to the handler; complete it through the e-service and
// archive it), and axe-core checks every page visited against the WCAG 2.1
// A and AA rules. Run by cmd/me/demo_browser_e2e_test.go, which starts
// `me serve --config config/demo.yaml` and sends the signals first.
//
// Environment:
//   ME_URL       the running ME, e.g. http://127.0.0.1:40123 (required)
//   DEMO_ORIGIN  the origin config/demo.yaml's start URLs name
//                (default http://127.0.0.1:8080): the browser's requests
//                to it are sent to ME_URL, so that ME may listen elsewhere
//   CHROMIUM     the browser (default /usr/bin/chromium; never downloaded)
//
// It prints one line per step and, at the end, every failed check and
// every serious or critical accessibility violation; the exit code is 1
// when there is any.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const axeVersion = JSON.parse(readFileSync(require.resolve('axe-core/package.json'), 'utf8')).version;

const meURL = (process.env.ME_URL || '').replace(/\/$/, '');
if (!meURL) {
  console.error('flows.mjs: set ME_URL to the running ME, e.g. http://127.0.0.1:8080');
  process.exit(2);
}
const demoOrigin = (process.env.DEMO_ORIGIN || 'http://127.0.0.1:8080').replace(/\/$/, '');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

const BYGGLOV = 'Bygglov för tillbyggnad av enbostadshus, Solrosen 4';
const SKOLSKJUTS = 'Skolskjuts läsåret 2026/27 för Märta Öström';
const BISTAND = 'Ansökan om ekonomiskt bistånd, april 2026';
// The citizens of the example signals, and the cases each has.
const TOLVAN = { pnr: '191212121212', name: 'Tolvan Tolvansson', cases: [BYGGLOV, SKOLSKJUTS], notCases: [BISTAND] };
const ASA = { pnr: '198112289874', name: 'Åsa Tolvansson', cases: [BYGGLOV, SKOLSKJUTS, BISTAND], notCases: [] };

const failures = [];
const violations = new Map(); // rule and element → the pages it is on
const started = Date.now();

function check(ok, what) {
  if (!ok) {
    failures.push(what);
    console.log(`  FAIL ${what}`);
  }
  return ok;
}

// step runs one part of a flow; an exception fails it and the flow goes on
// with the next step, so that one report lists everything that is wrong.
async function step(name, fn) {
  const t = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - t} ms)`);
  } catch (err) {
    const msg = String(err && err.message ? err.message : err).split('\n').slice(0, 3).join(' | ');
    failures.push(`${name}: ${msg}`);
    console.log(`FAIL ${name}: ${msg}`);
  }
}

// audit runs axe-core's WCAG 2.1 A/AA rules on the page as it is now and
// keeps every serious or critical violation.
async function audit(page, label) {
  const url = new URL(page.url());
  const where = `${label} (${url.pathname.replace(/^\/demo\/arenden\/[^/]+/, '/demo/arenden/…')})`;
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.addScriptTag({ content: axeSource });
  }
  const res = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    }));
  for (const v of res.violations) {
    if (v.impact !== 'serious' && v.impact !== 'critical') continue;
    for (const n of v.nodes) {
      const why = n.any.concat(n.all, n.none).map((c) => c.message).filter(Boolean)[0] || '';
      const key = `${v.id} (${v.impact}): ${v.help}\n      ${n.target.join(' ')}${why ? ` — ${why}` : ''}`;
      if (!violations.has(key)) violations.set(key, new Set());
      violations.get(key).add(where);
    }
  }
}

// main is the text of the page's <main>, as the citizen reads it.
const mainText = (page) => page.locator('main').innerText();

// pageText checks what no demo page may show: schema or Go error wording,
// raw XML, ISO dates.
async function pageText(page, label) {
  const text = await page.locator('body').innerText();
  check(!/\bfacet\b|Element '\{|\{http:\/\/|cvc-|not a valid value|panic|goroutine|runtime error/.test(text),
    `${label}: schema or Go error text shown to the citizen: ${(text.match(/.{0,60}(facet|Element '\{|\{http|cvc-|not a valid value|panic|goroutine|runtime error).{0,60}/) || [''])[0]}`);
  const m = text.match(/<\/?[A-Za-z][\w.:-]*(\s[^<>]*)?>/);
  check(!m, `${label}: raw XML shown to the citizen: ${m && m[0]}`);
  const iso = text.match(/\b\d{4}-\d{2}-\d{2}\b/);
  check(!iso, `${label}: an ISO date (${iso && iso[0]}) beside the Swedish ones; one Swedish date format throughout`);
  return text;
}

// visit loads a page of the portal and audits it.
async function visit(page, path, label) {
  const resp = await page.goto(meURL + path);
  check(resp && resp.ok(), `${label}: GET ${path} answered ${resp && resp.status()}`);
  await audit(page, label);
  return pageText(page, label);
}

// after waits for the navigation a click starts, then audits the new page.
async function after(page, label, click) {
  await Promise.all([page.waitForNavigation(), click()]);
  await audit(page, label);
  return pageText(page, label);
}

async function login(page, who) {
  await page.goto(meURL + '/demo/');
  await page.getByLabel(who.name, { exact: false }).check();
  await Promise.all([page.waitForURL(/\/demo\/arenden/), page.getByRole('button', { name: 'Logga in' }).click()]);
  const header = await page.locator('header').innerText();
  check(header.includes(who.pnr.slice(0, 8)), `${who.name}: the header does not say who is logged in: ${header}`);
  const label = `Mina ärenden (${who.name})`;
  await audit(page, label);
  const text = await pageText(page, label);
  for (const title of who.cases) check(text.includes(title), `${who.name}'s cases do not list "${title}"`);
  for (const title of who.notCases) check(!text.includes(title), `${who.name}'s cases list another citizen's "${title}"`);
}

async function openCase(page, title, label) {
  await page.goto(meURL + '/demo/arenden');
  const link = page.getByRole('link', { name: title, exact: true });
  if (!check(await link.count() === 1, `${label}: "Mina ärenden" does not list "${title}" once`)) {
    throw new Error(`no case "${title}"`);
  }
  return after(page, label, () => link.click());
}

// event is the <li> of the case page's event titled title.
const event = (page, title) => page.locator('ol.events > li').filter({ has: page.getByRole('heading', { name: title }) });

// eventLine is the line under an event's title: its time and whose it is.
async function eventLine(page, title) {
  const ev = event(page, title);
  if (await ev.count() === 0) return null;
  return (await ev.first().innerText()).split('\n').slice(0, 3).join(' ');
}

// completeThroughEService follows a complete action from the case page to
// the demo e-service and back: start → prefill → send → receipt → the case.
async function completeThroughEService(page, who, { button, eserviceName, dataShown, label }) {
  const text = await after(page, `${label}: the e-service`, () => page.getByRole('button', { name: button }).click());
  const h1 = await page.locator('h1').innerText();
  if (/Något gick fel|Sidan finns inte|gäller inte längre|Starta e-tjänsten/.test(h1)) {
    throw new Error(`the e-service answered "${h1}": ${(await mainText(page)).replace(/\s+/g, ' ').slice(0, 400)}`);
  }
  check(eserviceName.test(h1) && !h1.includes(label), `${label}: the e-service's heading is "${h1}"; want its name (${eserviceName})`);
  check(!(await page.title()).includes(label), `${label}: the page title uses the e-service id: "${await page.title()}"`);
  check(text.includes(who.pnr.slice(0, 8)), `${label}: the e-service does not show the citizen's personnummer (prefill)`);
  const given = await page.getByLabel('Förnamn').inputValue();
  check(given === who.name.split(' ')[0], `${label}: Förnamn prefilled as "${given}"; want "${who.name.split(' ')[0]}"`);
  // The completion data as fields: each value beside its Swedish name,
  // outside the form (whose labels are the prefill's).
  for (const [name, value] of dataShown) {
    const shown = await page.evaluate(([name, value]) => [...document.querySelectorAll('main *')]
      .filter((el) => !el.closest('form') && el.textContent.trim() === name)
      .some((el) => [el.parentElement, el.parentElement?.parentElement].some((p) => p && p.textContent.includes(value))), [name, value]);
    check(shown, `${label}: the completion data does not show "${value}" as the field "${name}"`);
  }
  await page.getByLabel('Din komplettering').fill('Kontrollplanen bifogas. / Veckodagar: mån–ons hos mamma.');
  const receipt = await after(page, `${label}: the receipt`, () => page.getByRole('button', { name: /Skicka komplettering/ }).click());
  check(/Tack! Din komplettering har skickats/.test(receipt), `${label}: no receipt: ${receipt.slice(0, 200)}`);
  check(/Referens: DEMO-/.test(receipt), `${label}: the receipt has no reference`);
  const back = await after(page, `${label}: the case after completing`, () => page.getByRole('link', { name: /Tillbaka till ärendet/ }).click());
  check(/Kompletteringen är skickad/.test(back), `${label}: the case does not show the completion as sent`);
  const line = await eventLine(page, 'Komplettering mottagen');
  check(line !== null, `${label}: the case has no "Komplettering mottagen" event`);
  if (line !== null) {
    check(line.includes('från dig'), `${label}: the citizen's own completion is not "från dig": ${line}`);
    check(!/\bNy\b/.test(line), `${label}: the completion the citizen just sent has a "Ny" badge: ${line}`);
  }
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    // config/demo.yaml's start URLs name 127.0.0.1:8080 while ME listens on
    // a free port here: the browser's own resolver sends the one to the
    // other (Playwright's routing does not see redirects). Cookies do not
    // depend on the port.
    ...(demoOrigin !== meURL ? [`--host-resolver-rules=MAP ${new URL(demoOrigin).host} ${new URL(meURL).host}`] : [])],
});

async function newCitizen() {
  // bypassCSP: the demo's CSP allows no script, so axe-core could not be
  // injected otherwise. The pages themselves run no script.
  const context = await browser.newContext({ bypassCSP: true, locale: 'sv-SE', acceptDownloads: true });
  context.setDefaultTimeout(15000); // a page takes well under a second; CI shares two cores
  return { context, page: await context.newPage() };
}

try {
  // ---- before login ----
  const anon = await newCitizen();
  await step('the login page', async () => {
    const p = anon.page;
    const text = await visit(p, '/demo/', 'the login page');
    check(text.includes(TOLVAN.name) && text.includes(ASA.name), 'the login page does not offer Tolvan and Åsa');
  });
  await step('a wrong personnummer keeps "Annat personnummer"', async () => {
    const p = anon.page;
    await p.getByLabel('Annat personnummer').check();
    await p.getByLabel(/^Personnummer/).fill('19121212-1213');
    const text = await after(p, 'the login page with an error', () => p.getByRole('button', { name: 'Logga in' }).click());
    check(/kontrollsiffra/.test(text), 'a wrong personnummer is not explained in Swedish');
    check(await p.getByLabel('Annat personnummer').isChecked(), 'after a wrong personnummer the form no longer has "Annat personnummer" chosen (the next click logs in as Tolvan)');
    check(await p.getByLabel(/^Personnummer/).inputValue() === '19121212-1213', 'after a wrong personnummer the typed number is gone');
  });
  await step('a page that does not exist', async () => {
    const p = anon.page;
    const resp = await p.goto(meURL + '/demo/finns-inte');
    check(resp.status() === 404, `/demo/finns-inte answered ${resp.status()}; want 404`);
    await audit(p, 'the 404 page');
    check(/Sidan finns inte/.test(await mainText(p)), 'the 404 page does not say "Sidan finns inte"');
  });
  await anon.context.close();

  // ---- Tolvan: cases, an e-service with prefill, the building permit ----
  const tolvan = await newCitizen();
  const t = tolvan.page;
  await step('Tolvan logs in and sees his cases', () => login(t, TOLVAN));
  await step('Tolvan starts an e-service with prefill (bygglov)', async () => {
    await visit(t, '/demo/etjanster', 'E-tjänster');
    await after(t, 'an e-service', () => t.getByRole('link', { name: 'Ansökan om bygglov', exact: true }).first().click());
    check(await t.locator('h1').innerText() === 'Ansökan om bygglov', 'the e-service page is not headed by its name');
    const text = await after(t, 'the demo e-service', () => t.getByRole('button', { name: 'Starta e-tjänst' }).click());
    const h1 = await t.locator('h1').innerText();
    check(h1.includes('Ansökan om bygglov'), `the demo e-service is headed "${h1}"; want the e-service's name`);
    check(!/: bygglov\b/.test(await t.title()), `the demo e-service's title uses the id: "${await t.title()}"`);
    check(text.includes('19121212-1212'), 'the demo e-service does not show the personnummer (prefill)');
    // What the case systems last said about Tolvan (the example signals
    // disagree on his surname, so only that it is there is checked).
    for (const [label, want] of [['Förnamn', 'Tolvan'], ['Efternamn', /./], ['Gatuadress', 'Solrosvägen 4'], ['Postnummer', '123 45'], ['Ort', 'Ekby']]) {
      const got = await t.getByLabel(label, { exact: true }).inputValue();
      check(typeof want === 'string' ? got === want : want.test(got), `the demo e-service's ${label} is prefilled "${got}"; want "${want}"`);
    }
    await t.getByLabel('Beskriv ditt ärende').fill('Tillbyggnad av garage, 25 m².');
    const receipt = await after(t, 'the e-service receipt', () => t.getByRole('button', { name: 'Skicka ansökan' }).click());
    check(/Tack! Din ansökan är mottagen/.test(receipt) && /Referens: DEMO-/.test(receipt), `no receipt after sending the e-service: ${receipt.slice(0, 200)}`);
  });
  await step('Tolvan reads the building permit case and downloads both attachments', async () => {
    const text = await openCase(t, BYGGLOV, 'the building permit case (Tolvan)');
    check(text.includes('Beslut om bygglov – kontrollplan behövs'), 'the case does not show the decision event');
    const links = t.locator('main a[href^="/demo/bilaga/"]');
    const hrefs = await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    const unique = [...new Set(hrefs)];
    check(unique.length === 2, `the case offers ${unique.length} attachments; want 2: ${unique.join(' ')}`);
    check(hrefs.length === unique.length, `each attachment is offered more than once (${hrefs.length} links to ${unique.length} files)`);
    const want = { 'beslut-bygglov-BN-2026-000123.pdf': /^%PDF-/, 'förslag till kontrollplan.txt': /kontrollplan/i };
    const got = [];
    for (const href of unique) {
      const [download] = await Promise.all([t.waitForEvent('download'), links.and(t.locator(`[href="${href}"]`)).first().click()]);
      const name = download.suggestedFilename();
      got.push(name);
      const body = readFileSync(await download.path());
      check(body.length > 0, `the download of ${name} is empty`);
      if (want[name]) check(want[name].test(body.toString('latin1')), `${name} does not have the content the signal sent`);
      const resp = await tolvan.context.request.get(meURL + href);
      const ct = resp.headers()['content-type'] || '';
      if (ct.startsWith('text/')) check(/charset=/i.test(ct), `${name} is served as "${ct}", without a charset`);
    }
    for (const name of Object.keys(want)) check(got.includes(name), `no download named "${name}" (got ${got.join(', ')})`);
  });
  await step('Tolvan writes to the handler', async () => {
    await t.getByLabel('Meddelande till handläggaren').first().fill('Hej! Måste vi vänta på startbeskedet innan vi river altanen?');
    const text = await after(t, 'the case after writing (Tolvan)', () => t.getByRole('button', { name: 'Skriv till handläggaren' }).click());
    check(/Ditt meddelande har skickats/.test(text), 'no confirmation after writing to the handler');
    const line = await eventLine(t, 'Meddelande till handläggaren');
    check(line && line.includes('från dig'), `Tolvan's own message is not "från dig": ${line}`);
  });

  // ---- Åsa: the co-applicant, school transport, income support ----
  const asa = await newCitizen();
  const a = asa.page;
  await step('Åsa logs in and sees her cases', () => login(a, ASA));
  await step('Åsa sees Tolvan\'s message on the building permit as a co-applicant\'s', async () => {
    await openCase(a, BYGGLOV, 'the building permit case (Åsa)');
    const line = await eventLine(a, 'Meddelande till handläggaren');
    check(line !== null, 'Åsa does not see the co-applicant\'s message on the building permit case');
    if (line !== null) {
      check(!line.includes('från dig'), `Tolvan's message is "från dig" on Åsa's page: ${line}`);
      check(line.includes('från medsökande'), `Tolvan's message is not "från medsökande" on Åsa's page: ${line}`);
    }
  });
  await step('Åsa completes the school transport case (start → prefill → send → receipt → the case)', async () => {
    const text = await openCase(a, SKOLSKJUTS, 'the school transport case (Åsa)');
    check(/30 april 2026/.test(text), 'the due date is not shown in Swedish ("30 april 2026")');
    await completeThroughEService(a, ASA, {
      button: 'Komplettera ansökan', eserviceName: /skolskjuts/i, label: 'skolskjuts-komplettering',
      dataShown: [['Förnamn', 'Märta'], ['Efternamn', 'Öström'], ['Skola', 'Ängens skola, årskurs 4'], ['Uppgift', 'Veckodagar på respektive adress']],
    });
  });
  await step('Åsa writes to her income support handler', async () => {
    await openCase(a, BISTAND, 'the income support case (Åsa)');
    await a.getByLabel('Meddelande till handläggaren').first().fill('Hej! Jag har fått ett nytt jobb från 1 maj.');
    const text = await after(a, 'the case after writing (Åsa)', () => a.getByRole('button', { name: 'Skriv till din handläggare' }).click());
    check(/Ditt meddelande har skickats/.test(text), 'no confirmation after Åsa wrote to the handler');
    const line = await eventLine(a, 'Meddelande till handläggaren');
    check(line && line.includes('från dig'), `Åsa's own message is not "från dig": ${line}`);
  });

  // ---- Tolvan again: the co-applicant's completion, completing, archiving, the profile ----
  await step('Tolvan sees Åsa\'s completion of the school transport case as a co-applicant\'s', async () => {
    await openCase(t, SKOLSKJUTS, 'the school transport case (Tolvan)');
    const line = await eventLine(t, 'Komplettering mottagen');
    check(line !== null, 'Tolvan does not see Åsa\'s completion');
    if (line !== null) {
      check(!line.includes('från dig'), `Åsa's completion is "från dig" on Tolvan's page: ${line}`);
      check(line.includes('från medsökande'), `Åsa's completion is not "från medsökande" on Tolvan's page: ${line}`);
    }
  });
  await step('Tolvan completes the building permit case (kontrollplan)', async () => {
    await openCase(t, BYGGLOV, 'the building permit case (Tolvan)');
    await completeThroughEService(t, TOLVAN, {
      button: 'Skicka in kontrollplan', eserviceName: /kontrollplan/i, label: 'bygglov-kontrollplan',
      dataShown: [['Fastighet', 'Solrosen 4'], ['Åtgärd', 'Tillbyggnad av enbostadshus']],
    });
  });
  await step('Tolvan archives the closed building permit case', async () => {
    await openCase(t, BYGGLOV, 'the building permit case (Tolvan)');
    const buttons = t.getByRole('button', { name: /Arkivera/ });
    check(await buttons.count() === 1, `the closed case offers ${await buttons.count()} archive buttons; want 1`);
    const text = await after(t, 'Mina ärenden after archiving', () => buttons.first().click());
    check(/Ärendet är arkiverat/.test(text), 'no confirmation after archiving');
    check(!text.includes(BYGGLOV), 'the archived case is still listed');
    const all = await after(t, 'Mina ärenden with archived cases', () => t.getByRole('link', { name: 'Visa även arkiverade ärenden' }).click());
    check(all.includes(BYGGLOV), 'the archived case is not listed with the archived ones');
  });
  await step('Tolvan writes his mobile number the Swedish way', async () => {
    await visit(t, '/demo/profil', 'Min profil');
    await t.getByLabel('Mobilnummer').fill('12345');
    let text = await after(t, 'Min profil with an error', () => t.getByRole('button', { name: 'Spara' }).click());
    const err = await t.locator('#mobil').evaluate((input) => {
      const ids = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
      const described = ids.map((id) => document.getElementById(id)?.textContent || '').join(' ').trim();
      return { described, invalid: input.getAttribute('aria-invalid'), near: input.closest('p,div,fieldset')?.textContent || '' };
    });
    check(err.described !== '', `a wrong mobile number: the error is not tied to the field (no aria-describedby); near it: "${err.near.trim()}"`);
    check(err.invalid === 'true', 'a wrong mobile number: the field is not marked aria-invalid');
    check(/[åäö]|mobilnummer|nummer/i.test(err.described + err.near), `a wrong mobile number: no Swedish error next to the field: "${err.described}"`);
    await t.getByLabel('Mobilnummer').fill('070-123 45 67');
    text = await after(t, 'Min profil saved', () => t.getByRole('button', { name: 'Spara' }).click());
    check(/Dina uppgifter är sparade/.test(text), `070-123 45 67 was not accepted: ${(await mainText(t)).replace(/\s+/g, ' ').slice(0, 200)}`);
    const shown = (await t.getByLabel('Mobilnummer').inputValue()).replace(/\D/g, '');
    check(shown === '46701234567' || shown === '0701234567', `the saved mobile number reads "${shown}"`);
  });

  await tolvan.context.close();
  await asa.context.close();
} finally {
  await browser.close();
}

console.log(`\n${failures.length} failed checks, ${violations.size} serious or critical accessibility violations (axe-core ${axeVersion}, WCAG 2.1 A/AA) (${Date.now() - started} ms)`);
for (const f of failures) console.log(`FAIL ${f}`);
for (const [v, pages] of violations) console.log(`AXE  ${v}\n      on ${[...pages].join(', ')}`);
process.exit(failures.length || violations.size ? 1 : 0);
