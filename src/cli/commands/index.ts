import type { Command } from 'commander';
import { registerGraph } from './graph.ts';
import { registerValidate } from './validate.ts';
import { registerPublish } from './publish.ts';
import { registerRun } from './run.ts';
import { registerStatus } from './status.ts';
import { registerTopics } from './topics.ts';
import { registerTrigger } from './trigger.ts';
import { registerQuery } from './query.ts';
import { registerTest } from './test.ts';
import { registerRedrive } from './redrive.ts';
import { registerKafkaSecurity } from './kafka-security.ts';
import { registerHttpToken } from './http-token.ts';
import { registerSchemas } from './schemas.ts';

/** Each command module adds itself to the program; main.ts knows no command by name. */
export type RegisterCommand = (program: Command) => void;

// registerKafkaSecurity and registerHttpToken last: they add options to the commands before them.
export const commands: RegisterCommand[] = [registerRun, registerPublish, registerValidate, registerGraph, registerStatus, registerTopics, registerTrigger, registerQuery, registerTest, registerRedrive, registerSchemas, registerKafkaSecurity, registerHttpToken];
