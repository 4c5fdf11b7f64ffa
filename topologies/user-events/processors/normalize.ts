import { defineProcessor } from 'sluice';

export interface User {
  id: string;
  name: string;
  age: number;
  city: string;
  ts: number;
}

/** Trims names and puts city names in one spelling ("  paris " → "Paris"), so they group together. */
export default defineProcessor<User, User>((user) => {
  const city = user.city.trim().toLowerCase();
  return { ...user, name: user.name.trim(), city: city.charAt(0).toUpperCase() + city.slice(1) };
});
