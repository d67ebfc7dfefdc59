// Screenshots of the dashboard page for docs/: light and dark, desktop and
// 375 px wide, in Debian's Chromium (playwright-core; nothing is downloaded).
// Each line it prints also says how long the page took from sign-in to live numbers.
// Against a running, seeded instance:
//
//   npm start & npm run seed && npm run simulate &
//   npx tsx scripts/dashboard-screenshots.ts --token "$(npm run -s token -- --role superadmin --sub dana)"
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://localhost:4000/' },
    token: { type: 'string' },
    out: { type: 'string', default: 'docs' },
    window: { type: 'string', default: '24h' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
if (!values.token) {
  console.error('dashboard-screenshots: --token is required (npm run -s token -- --role superadmin)');
  process.exit(1);
}

const browser = await chromium.launch({ executablePath: values.chromium, args: ['--no-sandbox', '--disable-gpu'] });
try {
  for (const colorScheme of ['light', 'dark'] as const) {
    for (const [suffix, viewport] of [
      ['', { width: 1280, height: 900 }],
      ['-375', { width: 375, height: 812 }],
    ] as const) {
      const page = await browser.newPage({ viewport, colorScheme });
      await page.goto(values.url);
      await page.evaluate(
        ([token, window]) => {
          localStorage.setItem('opsgraph.token', token!);
          localStorage.setItem('opsgraph.failureWindow', window!);
        },
        [values.token, values.window],
      );
      await page.reload();
      await page.waitForFunction(() => document.getElementById('connection')?.textContent === 'Live');
      await page.waitForFunction(() => performance.getEntriesByName('opsgraph:sign-in-to-live').length > 0);
      const live = await page.evaluate(() => performance.getEntriesByName('opsgraph:sign-in-to-live')[0]!.duration);
      await page.locator('tr[data-job]').first().waitFor();
      await page.locator('#dead-list li').first().waitFor();
      const file = `${values.out}/dashboard-${colorScheme}${suffix}.png`;
      await page.screenshot({ path: file, fullPage: true });
      console.log(`${file} (sign-in to live numbers: ${Math.round(live)} ms)`);
      await page.close();
    }
  }
} finally {
  await browser.close();
}
