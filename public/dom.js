// Small DOM helpers for the dashboard page's modules.

export const $ = (id) => document.getElementById(id);

/** An element with properties (`className`, `type`, …), `data-`/`aria-` attributes and children. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('data-') || key.startsWith('aria-') || key === 'role') node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes (no inline styles: the page's CSP forbids them). */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  node.append(...children);
  return node;
}

/** Sets the text only when it changed, so screen readers and observers see real changes only. */
export function setText(node, value) {
  const text = value === null || value === undefined ? '–' : String(value);
  if (node.textContent !== text) node.textContent = text;
}

const integer = new Intl.NumberFormat('en');
export const formatCount = (n) => integer.format(n);
