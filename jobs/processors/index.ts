import type { ProcessorDefinition } from "../processor.js";
import { applicationStatusProcessor } from "./application-status.js";

/**
 * Every processor the worker entry point registers. The queues' contracts live in
 * ../queues.ts; each processor here handles one of them and calls domain commands.
 * (Intake, status, cancellation and the 住基ネット messages arrive with their issues.)
 */
export const processors: ProcessorDefinition[] = [applicationStatusProcessor];
