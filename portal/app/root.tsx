import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  isRouteErrorResponse,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLocation,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { displayName, getSession } from "../auth/session.server";
import { services } from "../services.server";
import { langFromCookie, type RootData, translate } from "./i18n";
import { useNonce } from "./nonce";
import stylesheet from "./styles.css?url";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: stylesheet }];

export async function loader({ request, context }: LoaderFunctionArgs): Promise<RootData> {
  const lang = langFromCookie(request.headers.get("cookie"));
  const session = context.portal ? await getSession(services(context), request) : null;
  return {
    lang,
    user: session ? { name: displayName(session.claims) } : null,
    csrf: session?.csrfToken ?? null,
  };
}

// Only used when the root error boundary renders; each page sets its own title.
export const meta: MetaFunction = ({ error }) =>
  error ? [{ title: `${errorTitle(error)} | 引越しワンストップサービス` }] : [];

function errorTitle(error: unknown): string {
  return isRouteErrorResponse(error) && error.status === 404
    ? "ページが見つかりません"
    : "エラーが発生しました";
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  const data = useRouteLoaderData<typeof loader>("root");
  const lang = data?.lang ?? "ja";
  const t = (key: Parameters<typeof translate>[1], params?: Record<string, string>) =>
    translate(lang, key, params);
  const location = useLocation();
  const back = `${location.pathname}${location.search}`;
  const other = lang === "ja" ? "en" : "ja";
  return (
    <html lang={lang}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <link rel="icon" href="data:," />
        <Meta />
        <Links />
      </head>
      <body>
        <a className="skip-link" href="#main">
          {t("site.skip")}
        </a>
        <header className="site-header">
          <div className="site-header__inner">
            <a className="site-name" href="/">
              {t("site.name")}
            </a>
            <nav className="site-nav" aria-label={lang === "ja" ? "サイト" : "Site"}>
              <a
                href={`/language?to=${other}&back=${encodeURIComponent(back)}`}
                lang={other}
                hrefLang={other}
                aria-label={t("site.switchLanguageLabel")}
                rel="nofollow"
              >
                {t("site.switchLanguage")}
              </a>
              {data?.user ? (
                <>
                  <span className="site-user">{t("site.loggedInAs", { name: data.user.name })}</span>
                  <form method="post" action="/auth/logout" className="inline-form">
                    <input type="hidden" name="csrf" value={data.csrf ?? ""} />
                    <button type="submit" className="button-link">
                      {t("site.logout")}
                    </button>
                  </form>
                </>
              ) : null}
            </nav>
          </div>
        </header>
        <main id="main" className="site-main" tabIndex={-1}>
          {children}
        </main>
        <footer className="site-footer">
          <div className="site-footer__inner">
            <p>{t("site.footer")}</p>
          </div>
        </footer>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  const data = useRouteLoaderData<typeof loader>("root");
  const lang = data?.lang ?? "ja";
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <>
      <h1>{translate(lang, notFound ? "error.notFound" : "error.generic")}</h1>
      <p>{translate(lang, notFound ? "error.notFoundText" : "error.genericText")}</p>
      <p>
        <a href="/">{translate(lang, "site.home")}</a>
      </p>
    </>
  );
}
