from ingestion.cli import main

if __name__ == "__main__":  # not when a landing worker process imports this module again
    main()
