import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type NextFunction, type Request, type Response, Router } from "express";

const pagesDir = fileURLToPath(new URL("./pages/", import.meta.url));
const assetsDir = fileURLToPath(new URL("./assets/", import.meta.url));
/** Chart.js's own build, served as is: no bundler, no copy to keep in step. */
const chartJsDir = dirname(fileURLToPath(import.meta.resolve("chart.js")));

export const chartJsPath = "/dashboard/vendor/chart.umd.min.js";

/** Page paths and the HTML shell each serves; the shell's script reads the id from the path. */
const pages = [
  { path: "/", file: "tasks.html" },
  { path: "/dashboard/tasks/:taskId", file: "task.html" },
  { path: "/dashboard/holders/:holderId", file: "holder.html" },
  { path: "/dashboard/audit", file: "audit.html" },
] as const;

/**
 * Stricter than helmet's default for the pages: scripts, styles and data only
 * from this origin, nothing inline, no framing, no forms. It also leaves out
 * `upgrade-insecure-requests`, which would send a plain-HTTP deployment's
 * same-origin scripts to an HTTPS port that is not there.
 */
const pageContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const labelRoute = (path: string) => (_req: Request, res: Response, next: NextFunction) => {
  res.locals.routePath = path;
  next();
};

/**
 * The dashboard's pages and static files: plain HTML shells, small ES modules
 * and a stylesheet from this folder, and Chart.js from its package. The data
 * comes from the `/dashboard/api/*` routes.
 */
export function createDashboardPages(): Router {
  const router = Router();
  for (const page of pages) {
    router.get(page.path, labelRoute(page.path), (_req, res, next) => {
      res.setHeader("Content-Security-Policy", pageContentSecurityPolicy);
      res.sendFile(page.file, { root: pagesDir }, (error) => {
        if (error) next(error);
      });
    });
  }
  router.use(
    "/dashboard/assets",
    labelRoute("/dashboard/assets"),
    express.static(assetsDir, { index: false, redirect: false }),
  );
  router.get(chartJsPath, labelRoute(chartJsPath), (_req, res, next) => {
    res.sendFile("chart.umd.min.js", { root: chartJsDir, maxAge: "1d" }, (error) => {
      if (error) next(error);
    });
  });
  return router;
}
