/** Client-side navigation between the two pages. */
let onRoute: () => void = () => undefined;

export function setRouteHandler(fn: () => void): void {
  onRoute = fn;
}

export function navigate(path: string): void {
  if (path !== location.pathname) history.pushState(null, '', path);
  onRoute();
}
