import { useEffect, useState } from 'react';
import { parseRoute, type Route } from './lib/route.js';

export function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function navigate(href: string): void {
  if (location.hash !== href) location.hash = href;
}
