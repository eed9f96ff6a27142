import type { LinksFunction, MetaFunction } from "@remix-run/node";
import {
  isRouteErrorResponse,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useRouteError,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { useNonce } from "./nonce";
import stylesheet from "./styles.css?url";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: stylesheet }];

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
  return (
    <html lang="ja">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        <a className="skip-link" href="#main">
          本文へ移動
        </a>
        <header className="site-header">
          <div className="site-header__inner">
            <a className="site-name" href="/">
              引越しワンストップサービス
            </a>
          </div>
        </header>
        <main id="main" className="site-main" tabIndex={-1}>
          {children}
        </main>
        <footer className="site-footer">
          <div className="site-footer__inner">
            <p>マイナンバーカードを使ったオンライン手続（デモ環境）</p>
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
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <>
      <h1>{errorTitle(error)}</h1>
      <p>
        {notFound
          ? "お探しのページは移動または削除された可能性があります。"
          : "しばらく時間をおいてから、もう一度お試しください。"}
      </p>
      <p>
        <a href="/">トップページへ戻る</a>
      </p>
    </>
  );
}
