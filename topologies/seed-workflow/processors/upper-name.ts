import { defineProcessor } from 'sluice';

export interface Person {
  id: number;
  name: string;
  ts: number;
}

/** The seed's "process" step: the same person with the name in upper case. */
export default defineProcessor<Person, Person>((person) => ({ ...person, name: person.name.toUpperCase() }));
