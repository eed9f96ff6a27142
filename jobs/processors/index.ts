import { loadWorkerEnv } from "../env.js";
import { lazy, type PipelineDeps, pipelineDepsFromEnv } from "../juki-net/context.js";
import type { ProcessorDefinition } from "../processor.js";
import { addressNoticeProcessor } from "./address-notice.js";
import { applicationStatusProcessor } from "./application-status.js";
import { cancellationProcessor } from "./cancellation.js";
import { intakeProcessor } from "./intake.js";
import { jukiNetIdentityProcessor } from "./juki-net-identity.js";
import { jukiNetInboundProcessor } from "./juki-net-inbound.js";
import { jukiNetOutboundProcessor } from "./juki-net-outbound.js";

/**
 * Every processor the worker entry point registers. The queues' contracts live in
 * ../queues.ts; each processor here handles one of them and calls domain commands.
 */
export const processors: ProcessorDefinition[] = [
  applicationStatusProcessor,
  ...pipelineProcessors(lazy(() => pipelineDepsFromEnv(loadWorkerEnv()))),
];

/** The pipeline's processors (issue 5), with their dependencies (built at the first job). */
export function pipelineProcessors(deps: () => PipelineDeps): ProcessorDefinition[] {
  return [
    intakeProcessor(deps),
    jukiNetOutboundProcessor(deps),
    jukiNetInboundProcessor(deps),
    jukiNetIdentityProcessor(deps),
    cancellationProcessor(deps),
    addressNoticeProcessor(deps),
  ] as ProcessorDefinition[];
}
