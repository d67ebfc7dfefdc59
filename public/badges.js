// The small badges: jobs in flight, dead letters and scans by type (Subscription.dashboard).
import { announce } from './announce.js';
import { $, el, formatCount, setText } from './dom.js';

const plural = (n, one, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;

function scanItem({ scanType, count }, total) {
  const bar = el('span', { className: 'bar', 'aria-hidden': 'true' });
  // A CSS custom property set through the CSSOM: the page's CSP forbids style attributes, not this.
  bar.style.setProperty('--share', String(total ? count / total : 0));
  return el('li', { 'data-scan-type': scanType }, el('span', { className: 'name', textContent: scanType }), el('span', { className: 'num', textContent: formatCount(count) }), bar);
}

/** Shows one dashboard value; returns the previous dead-letter count, so the caller knows to reload the list. */
export function showDashboard({ deadLetterCount, jobsRunning, jobsPending, scanStats }) {
  const previousDead = $('dead-letter-count').textContent;
  setText($('dead-letter-count'), formatCount(deadLetterCount));
  setText($('jobs-running'), formatCount(jobsRunning));
  setText($('jobs-pending'), formatCount(jobsPending));
  setText($('scan-total'), formatCount(scanStats.total));
  const key = JSON.stringify(scanStats.stats);
  const list = $('scan-types');
  if (list.dataset.key !== key) {
    list.dataset.key = key;
    list.replaceChildren(...scanStats.stats.map((stat) => scanItem(stat, scanStats.total)));
  }
  $('scans-empty').hidden = scanStats.total !== 0;
  announce('jobs', `Jobs: ${formatCount(jobsRunning)} running, ${formatCount(jobsPending)} pending.`);
  announce('dead', `${plural(deadLetterCount, 'dead letter')}.`);
  return previousDead !== formatCount(deadLetterCount);
}

export function clearBadges() {
  for (const id of ['dead-letter-count', 'jobs-running', 'jobs-pending', 'scan-total']) setText($(id), null);
  $('scan-types').replaceChildren();
  delete $('scan-types').dataset.key;
  $('scans-empty').hidden = true;
}
