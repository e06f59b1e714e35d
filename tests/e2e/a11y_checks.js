// Cheap accessibility checks run inside the page (tests/e2e/test_portal_lighthouse.py).
// A function expression for Playwright's page.evaluate: returns a list of problems,
// each a sentence naming the element, so a failing test says what to fix.
() => {
  const problems = [];
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden"
      && !el.closest(".visually-hidden, [hidden], [aria-hidden=true]");
  };
  const describe = (el) => {
    const label = el.labels && el.labels.length ? el.labels[0].textContent : "";
    const text = (label || el.innerText || el.getAttribute("aria-label") || "").trim();
    const id = el.id ? `#${el.id}` : "";
    return `<${el.tagName.toLowerCase()}${id}> "${text.slice(0, 40)}"`;
  };
  const controls = [...document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary"
  )].filter(visible);

  // 1. Every link, button and form control has an accessible name.
  const nameOf = (el) => {
    if (el.getAttribute("aria-label")) return el.getAttribute("aria-label");
    const ids = el.getAttribute("aria-labelledby");
    if (ids) {
      return ids.split(/\s+/).map((id) => document.getElementById(id))
        .filter(Boolean).map((ref) => ref.textContent).join(" ");
    }
    if (el.labels && el.labels.length) {
      return [...el.labels].map((label) => label.textContent).join(" ");
    }
    if (["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName)) {
      const type = (el.getAttribute("type") || "").toLowerCase();
      return ["submit", "button", "reset"].includes(type) ? el.value : el.title;
    }
    return el.textContent || el.title;
  };
  for (const el of controls) {
    if (!(nameOf(el) || "").trim()) problems.push(`no accessible name: ${describe(el)}`);
  }

  // 2. Target size (WCAG 2.2, 2.5.8): 24 by 24 CSS px. A link inside a sentence
  //    is exempt (the "inline" exception); one that stands alone is not.
  const inSentence = (el) => {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") return false;
    const block = el.parentElement;
    return block.textContent.trim().length > el.textContent.trim().length;
  };
  for (const el of controls) {
    if (inSentence(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width < 24 || box.height < 24) {
      problems.push(
        `target ${Math.round(box.width)}x${Math.round(box.height)} px < 24 px: ${describe(el)}`
      );
    }
  }

  // 3. Text contrast, WCAG 1.4.3: 4.5:1, 3:1 for large text; the background is the
  //    nearest ancestor's opaque background colour (the pages use no images behind text).
  const rgba = (value) => {
    const parts = value.match(/[\d.]+/g).map(Number);
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  };
  const over = (fg, bg) => ({
    r: fg.r * fg.a + bg.r * (1 - fg.a),
    g: fg.g * fg.a + bg.g * (1 - fg.a),
    b: fg.b * fg.a + bg.b * (1 - fg.a),
    a: 1,
  });
  const luminance = ({ r, g, b }) => {
    const lin = (c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour.a > 0) layers.push(colour);
      if (colour.a >= 1) break;
    }
    return layers.reverse().reduce((under, layer) => over(layer, under),
      { r: 255, g: 255, b: 255, a: 1 });
  };
  const withText = [...document.body.querySelectorAll("*")].filter((el) =>
    [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim())
    && visible(el));
  for (const el of withText) {
    const style = getComputedStyle(el);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const bg = background(el);
    const fg = over(rgba(style.color), bg);
    const got = ratio(fg, bg);
    if (got < (large ? 3 : 4.5)) {
      problems.push(`contrast ${got.toFixed(2)}:1 too low: ${describe(el)}`);
    }
  }

  // 4. The page fits 360 px: no sideways scrolling (WCAG 1.4.10 reflow).
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth) {
    problems.push(`scrolls sideways: ${doc.scrollWidth} px in ${doc.clientWidth} px`);
  }

  // 5. The language is declared, there is one h1 and no heading level is skipped.
  if (!["sv", "en"].includes(doc.lang)) problems.push(`html lang is "${doc.lang}"`);
  const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].filter(visible);
  if (headings.filter((h) => h.tagName === "H1").length !== 1) {
    problems.push("not exactly one h1");
  }
  let level = 0;
  for (const h of headings) {
    const next = Number(h.tagName[1]);
    if (next > level + 1) problems.push(`heading level skipped: ${describe(h)}`);
    level = next;
  }
  return problems;
}
