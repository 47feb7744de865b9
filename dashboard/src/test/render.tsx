/** Renders the whole app (real routes, real query client) at a URL, for component tests. */
import { render } from "@testing-library/react";
import { createMemoryRouter } from "react-router";
import { App } from "../app/App";
import { createQueryClient } from "../app/query-client";
import { routes } from "../app/routes";

export function renderApp(url: string) {
  const router = createMemoryRouter(routes, { initialEntries: [url] });
  const queryClient = createQueryClient({ retry: false });
  const result = render(<App router={router} queryClient={queryClient} />);
  return { ...result, router, queryClient };
}
