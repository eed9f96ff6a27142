import {
  UNSAFE_flatRoutes,
  type UNSAFE_RouteConfig,
  UNSAFE_routeManifestToRouteConfig,
} from "@remix-run/dev";

// What `flatRoutes()` from @remix-run/fs-routes does, but with the app directory taken from
// this file's location: fs-routes reads Remix's process-wide "current app directory", which
// the other app may have set when the portal and the back office share one process (tests).
export default UNSAFE_routeManifestToRouteConfig(
  UNSAFE_flatRoutes(import.meta.dirname),
) satisfies UNSAFE_RouteConfig;
