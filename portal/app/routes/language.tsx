import { type LoaderFunctionArgs, redirect } from "@remix-run/node";

/** The language switch: a plain link (no JavaScript needed) that sets a cookie and goes back. */
export async function loader({ request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const lang = url.searchParams.get("to") === "en" ? "en" : "ja";
  const back = url.searchParams.get("back") ?? "/";
  // Only a path on this site: never an open redirect.
  const target = back.startsWith("/") && !back.startsWith("//") && !back.startsWith("/\\") ? back : "/";
  return redirect(target, {
    headers: {
      "Set-Cookie": `lang=${lang}; Path=/; Max-Age=31536000; SameSite=Lax`,
      "Cache-Control": "no-store",
    },
  });
}
