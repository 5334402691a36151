from samples.cli import main

main()
