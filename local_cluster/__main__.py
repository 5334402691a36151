from local_cluster.cli import main

main()
