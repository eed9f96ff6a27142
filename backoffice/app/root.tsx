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
import { getStaff, ROLE_LABELS } from "../auth/session.server";
import type { StaffRole } from "../register/authorization";
import { services } from "../services.server";
import { useNonce } from "./nonce";
import stylesheet from "./styles.css?url";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: stylesheet }];

// Only used when the root error boundary renders; each page sets its own title.
export const meta: MetaFunction = ({ error }) =>
  error ? [{ title: `${errorTitle(error)} | 住民記録システム（窓口）` }] : [];

/** Who is logged in, for the header of every screen (null on the login pages). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const staff = await getStaff(services(context), request);
  return {
    staff: staff
      ? {
          name: staff.name,
          roles: staff.roles,
          roleLabel: staff.roles.map((r) => ROLE_LABELS[r]).join("・"),
          municipalityName: staff.municipalityName,
          csrfToken: staff.csrfToken,
        }
      : null,
  };
}

export type RootData = Awaited<ReturnType<typeof loader>>;

/** The logged-in staff member as the root loader saw them (for forms: `csrfToken`). */
export function useStaff(): NonNullable<RootData["staff"]> | null {
  return useRouteLoaderData<typeof loader>("root")?.staff ?? null;
}

function errorTitle(error: unknown): string {
  if (isRouteErrorResponse(error)) {
    if (error.status === 404) return "ページが見つかりません";
    if (error.status === 403) return "この操作は許可されていません";
  }
  return "エラーが発生しました";
}

interface NavItem {
  href: string;
  label: string;
  roles: readonly StaffRole[];
}

const NAV: readonly NavItem[] = [
  { href: "/reservations", label: "予約一覧", roles: ["clerk", "supervisor"] },
  { href: "/records", label: "住民検索", roles: ["clerk", "supervisor"] },
  { href: "/changes", label: "届出・職権", roles: ["clerk", "supervisor"] },
  { href: "/approvals", label: "承認待ち", roles: ["clerk", "supervisor"] },
  { href: "/audit", label: "監査ログ", roles: ["auditor"] },
  { href: "/admin/queues", label: "キュー", roles: ["admin"] },
];

function StaffBar({ staff }: { staff: NonNullable<RootData["staff"]> }) {
  const { pathname } = useLocation();
  const items = NAV.filter((n) => n.roles.some((r) => staff.roles.includes(r)));
  return (
    <>
      <p className="staff-who">
        <span className="staff-who__lg">{staff.municipalityName}</span>
        <span>
          {staff.name}（{staff.roleLabel}）
        </span>
      </p>
      <nav aria-label="業務メニュー" className="site-nav">
        <ul>
          {items.map((n) => {
            const current = pathname === n.href || pathname.startsWith(`${n.href}/`);
            return (
              <li key={n.href}>
                {/* Bull Board is not a Remix route: a full page load, not client navigation. */}
                <a href={n.href} aria-current={current ? "page" : undefined}>
                  {n.label}
                </a>
              </li>
            );
          })}
          <li>
            <form method="post" action="/auth/logout" className="logout-form">
              <input type="hidden" name="csrf" value={staff.csrfToken} />
              <button type="submit" className="link-button">
                ログアウト
              </button>
            </form>
          </li>
        </ul>
      </nav>
    </>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  const data = useRouteLoaderData<typeof loader>("root");
  const staff = data?.staff ?? null;
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
              住民記録システム（窓口）
            </a>
            {staff ? <StaffBar staff={staff} /> : null}
          </div>
        </header>
        <main id="main" className="site-main" tabIndex={-1}>
          {children}
        </main>
        <footer className="site-footer">
          <div className="site-footer__inner">
            <p>職員専用（マイナンバー利用事務系）・デモ環境</p>
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
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const text = isRouteErrorResponse(error) && typeof error.data === "string" ? error.data : null;
  return (
    <>
      <h1>{errorTitle(error)}</h1>
      {status === 403 ? (
        <p>{text ?? "この画面を利用する権限がありません。"}</p>
      ) : status === 404 ? (
        <p>{text ?? "お探しのページは移動または削除された可能性があります。"}</p>
      ) : (
        <p>しばらく時間をおいてから、もう一度お試しください。</p>
      )}
      <p>
        <a href="/">トップページへ戻る</a>
      </p>
    </>
  );
}
