import type { Command } from 'commander';
import { registerPublish } from './publish.ts';

/** Each command module adds itself to the program; main.ts knows no command by name. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerPublish];
