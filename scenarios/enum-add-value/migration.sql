ALTER TYPE mood ADD VALUE 'curious';
