import { defineProcessor } from 'sluice';
import type { Person } from './upper-name.ts';

export interface Analyzed extends Person {
  length: number;
}

/** The seed's "analyze" step: how long the name is, in characters. */
export default defineProcessor<Person, Analyzed>((person) => ({ ...person, length: [...person.name].length }));
