/** Reads one of the dashboard's JSON views; a problem response becomes an Error with its detail. */
export async function getJson(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  const body = await response.json().catch(() => undefined);
  if (!response.ok) {
    const title = body?.title ?? `HTTP ${response.status}`;
    throw new Error(body?.detail ? `${title}: ${body.detail}` : title);
  }
  return body;
}

/** The last path segment, e.g. the task id of /dashboard/tasks/:taskId. */
export const idFromPath = () =>
  decodeURIComponent(window.location.pathname.split("/").filter(Boolean).at(-1) ?? "");
