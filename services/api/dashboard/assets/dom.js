/**
 * Every text on the pages goes through `textContent`: task names and report
 * fields are other people's input, so nothing is ever parsed as HTML.
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const link = (href, text) => el("a", { href }, text);
export const taskLink = (id, text) =>
  link(`/dashboard/tasks/${encodeURIComponent(id)}`, text ?? id);
export const holderLink = (id, text) =>
  link(`/dashboard/holders/${encodeURIComponent(id)}`, text ?? id);

/** A table with a header row; each row is an array of cells (text or nodes). */
export function table(headers, rows, attributes = {}) {
  return el(
    "table",
    attributes,
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        headers.map((header) => el("th", {}, header)),
      ),
    ),
    el(
      "tbody",
      {},
      rows.map((row) =>
        el(
          "tr",
          row.attributes ?? {},
          (row.cells ?? row).map((cell) => el("td", {}, cell)),
        ),
      ),
    ),
  );
}

export const section = (title, ...children) =>
  el("section", { class: "card" }, el("h2", {}, title), ...children);

/** A section that spans the whole grid row: wide tables stay readable without scrolling. */
export const wideSection = (title, ...children) =>
  el("section", { class: "card wide" }, el("h2", {}, title), ...children);

/** Ids stay recognisable when shortened: "holder-sandbox-a-1f2e3d" → "holder-sa…2e3d". */
export const shortId = (id) => (id.length > 16 ? `${id.slice(0, 9)}…${id.slice(-4)}` : id);

export const muted = (text) => el("p", { class: "muted" }, text);

/** The label every sandbox amount carries, so nobody mistakes it for real money. */
export const sandboxBadge = () =>
  el("span", { class: "sandbox", title: "SANDBOX — ledger only, no real money moved" }, "sandbox");

export const statusBadge = (status) => el("span", { class: `status status-${status}` }, status);

/** "2025-01-31T12:34:56.789Z" → "2025-01-31 12:34 UTC". */
export const formatTime = (iso) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : "—");

export const formatPercent = (fraction) =>
  fraction === null || fraction === undefined ? "—" : `${(fraction * 100).toFixed(2)}%`;

/** ε as stored, trimmed to four decimals: 1.25 → "1.25", 2 → "2". */
export const formatEpsilon = (epsilon) =>
  epsilon === null || epsilon === undefined ? "—" : String(Number(epsilon.toFixed(4)));

/** A long hex hash or address, shortened for tables; the full value stays in the title. */
export const short = (text, keep = 10) =>
  text && text.length > keep * 2 + 1
    ? el("span", { title: text, class: "mono" }, `${text.slice(0, keep)}…${text.slice(-4)}`)
    : el("span", { class: "mono" }, text ?? "—");

/**
 * Renders a page: replaces the content with the nodes `build` returns, sets
 * the title, and marks
 * the body ready (browser tests wait for that), or shows the error.
 */
export async function renderPage(build) {
  const content = document.getElementById("content");
  try {
    const { title, nodes, afterRender } = await build();
    content.replaceChildren(...nodes);
    document.title = `Agora · ${title}`;
    // Charts measure their canvases, so they are drawn once the nodes are in the document.
    afterRender?.();
    document.body.dataset.state = "ready";
  } catch (error) {
    content.replaceChildren(
      el(
        "p",
        { class: "error", role: "alert" },
        error instanceof Error ? error.message : String(error),
      ),
    );
    document.body.dataset.state = "error";
  }
}
