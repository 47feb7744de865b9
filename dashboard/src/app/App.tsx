/** Providers (query cache, theme) around the router. */
import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { RouterProvider, createBrowserRouter, type createMemoryRouter } from "react-router";
import { createQueryClient } from "./query-client";
import { routes } from "./routes";
import { ThemeProvider } from "./theme";

type Router = ReturnType<typeof createBrowserRouter> | ReturnType<typeof createMemoryRouter>;

export function App({ router, queryClient }: { router?: Router; queryClient?: QueryClient }) {
  const [client] = useState(() => queryClient ?? createQueryClient());
  const [activeRouter] = useState(() => router ?? createBrowserRouter(routes));
  return (
    <QueryClientProvider client={client}>
      <ThemeProvider>
        <RouterProvider router={activeRouter} />
      </ThemeProvider>
    </QueryClientProvider>
  );
}
